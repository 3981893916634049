"""Deployment records: what a record holds, which release a rollback returns to, the table."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }}.core import (
    shell,
)
from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.release import (
    deployments,
)
from {{ cookiecutter.package_name }}.release.deployments import (
    Record,
)

SHA_A, SHA_B, SHA_C = "a" * 40, "b" * 40, "c" * 40
LOCK = """schema: '2.0'
stages:
  train:
    outs:
    - path: models/model.skops
      hash: md5
      md5: 0123456789abcdef0123456789abcdef
"""


def record(id_: int, sha: str, state: str = "success", **extra: object) -> Record:
    payload = {"image": f"ghcr.io/o/r@sha256:{sha[0] * 64}", "digest": f"sha256:{sha[0] * 64}",
               "git_sha": sha, "model_md5": sha[0] * 32, "mlflow_model_version": "3",
               "pull_request": 12, **extra}  # fmt: skip
    return Record(id_, "2026-12-01T10:00:00Z", state, "", payload)


# Newest first, as GitHub lists them: C failed its rollout, B serves, A served before.
HISTORY = [record(3, SHA_C, "failure"), record(2, SHA_B), record(1, SHA_A)]


def test_payload_names_the_image_commit_and_the_model_dvc_lock_records(tmp_path, monkeypatch):
    (tmp_path / "dvc.lock").write_text(LOCK)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(deployments, "commit_of", lambda rev: SHA_A)
    image = f"ghcr.io/o/r@sha256:{'d' * 64}"
    payload = deployments.build_payload(image, "https://github.com/o/r/attestations/7", "4", 12)
    assert payload == {
        "image": image,
        "digest": f"sha256:{'d' * 64}",
        "git_sha": SHA_A,
        "model_md5": "0123456789abcdef0123456789abcdef",
        "mlflow_model_version": "4",
        "attestation": "https://github.com/o/r/attestations/7",
        "pull_request": 12,
        "deploy_target": deployments.DEPLOY_TARGET,
    }


def test_an_image_by_tag_is_refused(tmp_path, monkeypatch):
    (tmp_path / "dvc.lock").write_text(LOCK)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(UserError, match="not by digest"):
        deployments.build_payload("ghcr.io/o/r:latest", "", "", None)


def test_a_record_is_a_production_deployment_of_the_commit_then_in_progress(monkeypatch):
    sent: list[tuple[tuple[str, ...], object]] = []

    def call(*command: str) -> str:
        body = None
        if "--input" in command:
            with open(command[command.index("--input") + 1]) as file:
                body = json.load(file)
        sent.append((command, body))
        return json.dumps({"id": 41})

    monkeypatch.setattr(shell, "call", call)
    monkeypatch.delenv("GITHUB_RUN_ID", raising=False)
    assert deployments.create(record(0, SHA_A).payload, "release of aaaa") == 41
    (post, body), (status, _) = sent
    assert post[:4] == ("gh", "api", "--method", "POST")
    assert body == {"environment": "production", "ref": SHA_A, "auto_merge": False,
                    "required_contexts": [], "payload": record(0, SHA_A).payload,
                    "description": "release of aaaa"}  # fmt: skip
    assert status[4].endswith("/deployments/41/statuses")
    assert "state=in_progress" in status


def test_the_default_rollback_target_is_the_last_success_before_the_serving_one():
    assert deployments.choose(HISTORY).id == 1


def test_a_failed_rollout_goes_back_to_what_served_before_it():
    failed = HISTORY[0].payload["digest"]
    assert deployments.choose(HISTORY, replacing=failed).id == 2


@pytest.mark.parametrize("to", [SHA_A[:7], SHA_A, "sha256:" + "a" * 12, "a" * 64])
def test_a_rollback_target_is_found_by_commit_sha_or_image_digest(to):
    assert deployments.choose(HISTORY, to=to).id == 1


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("d" * 40, "never deployed successfully"),  # never deployed
        (SHA_C[:12], "never deployed successfully"),  # deployed, but its rollout failed
        (SHA_B[:12], "is what production serves now"),
        ("abc", "at least 7 characters"),
    ],
)
def test_a_rollback_to_what_was_never_deployed_is_refused(to, message):
    with pytest.raises(UserError, match=message):
        deployments.choose(HISTORY, to=to)


def test_with_no_earlier_success_there_is_nothing_to_go_back_to():
    with pytest.raises(UserError, match="no earlier successful deployment"):
        deployments.choose(HISTORY[:2])


def test_the_history_table_says_when_what_which_pr_and_status():
    rows = deployments.table([record(2, SHA_B, rollback_of=3, reason="bad")]).splitlines()
    assert rows[0] == "| when | image digest | commit | model md5 | MLflow | PR | status |"
    assert rows[2] == (
        f"| 2026-12-01T10:00:00Z | {'b' * 12} | {SHA_B[:7]} | {'b' * 8} | 3 | #12 "
        "| success, rollback of 3: bad |"
    )
