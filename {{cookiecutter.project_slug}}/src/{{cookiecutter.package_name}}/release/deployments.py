"""Deployment records: each deploy of `production` is a GitHub Deployment whose payload says
what runs and whose statuses follow the rollout. A rollback never rebuilds: it returns to a
digest deployed before and still attested by main's release workflow."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core import reports
from ..core.errors import UserError
from ..core.git import commit_of
from ..core.lockfile import reviewed_md5
from ..core.shell import gh_api, run
from .review_proof import merged_pull_request

ENVIRONMENT = "production"
DEPLOYMENTS = "repos/{owner}/{repo}/deployments"  # gh fills it in from the git remote, or GH_REPO
DEPLOY_TARGET = "{{ cookiecutter.deploy_target }}"
# The make target that deploys IMAGE by digest from a laptop (`make rollback`).
DEPLOY_COMMAND = {"kubernetes": "k8s-deploy", "bentocloud": "bentocloud-deploy"}.get(DEPLOY_TARGET)
HISTORY = 30  # deployments read back: the table's rows and the rollback's candidates
PLAN = Path("build/rollback.json")  # the chosen release, handed from step to step


@dataclass(frozen=True)
class Record:
    id: int
    created_at: str
    state: str  # the latest status: in_progress, success, failure...
    description: str
    payload: dict[str, Any]


def build_payload(image: str, attestation: str, model_version: str, pull: int | None) -> dict:
    """What a release deploys: the image by digest and what proves and explains it."""
    digest = image.partition("@")[2]
    if not digest.startswith("sha256:"):
        raise UserError(f"IMAGE {image!r} is not by digest (name@sha256:...): deploy by digest")
    return {
        "image": image,
        "digest": digest,
        "git_sha": commit_of("HEAD"),
        "model_md5": reviewed_md5(),
        "mlflow_model_version": model_version or None,
        "attestation": attestation or None,
        "pull_request": pull,
        "deploy_target": DEPLOY_TARGET,
    }


def create(payload: dict[str, Any], description: str) -> int:
    """A new deployment of `production` at the payload's commit, marked in progress."""
    body = {
        "environment": ENVIRONMENT,
        "ref": payload["git_sha"],
        "auto_merge": False,  # the commit is main's; never merge anything into it
        "required_contexts": [],  # the review already gated it; rollbacks go to older commits
        "payload": payload,
        "description": description[:140],  # GitHub's limit
    }
    with tempfile.NamedTemporaryFile("w", suffix=".json") as file:
        json.dump(body, file)
        file.flush()
        deployment = gh_api("--method", "POST", DEPLOYMENTS, "--input", file.name)
    set_status(int(deployment["id"]), "in_progress", description)
    return int(deployment["id"])


def set_status(deployment: int, state: str, description: str) -> None:
    fields = {"state": state, "description": description[:140]}
    if run_id := os.environ.get("GITHUB_RUN_ID"):  # the log this workflow run's status links to
        server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
        fields["log_url"] = f"{server}/{os.environ['GITHUB_REPOSITORY']}/actions/runs/{run_id}"
    flags = [f"{key}={value}" for key, value in fields.items() if value]
    gh_api("--method", "POST", f"{DEPLOYMENTS}/{deployment}/statuses",
        *(arg for flag in flags for arg in ("-f", flag)))  # fmt: skip


def history() -> list[Record]:
    """The last HISTORY deployments of production, newest first, each with its latest status."""
    records = []
    for found in gh_api(f"{DEPLOYMENTS}?environment={ENVIRONMENT}&per_page={HISTORY}") or []:
        payload = found.get("payload") or {}
        payload = json.loads(payload) if isinstance(payload, str) else payload
        if not payload.get("digest"):  # one GitHub made for a job naming the environment
            continue
        latest = (gh_api(f"{DEPLOYMENTS}/{found['id']}/statuses?per_page=1") or [{}])[0]
        records.append(Record(int(found["id"]), str(found.get("created_at", "")),
                              str(latest.get("state", "pending")),
                              str(latest.get("description") or ""), payload))  # fmt: skip
    return records


def choose(records: list[Record], to: str = "", replacing: str = "") -> Record:
    """The successful release `to` names (7+ characters of a commit SHA or image digest), else
    the newest successful one whose digest is not `replacing` (default: the one serving now)."""
    good = [r for r in records if r.state == "success" and r.payload.get("digest")]
    serving = good[0].payload["digest"] if good else ""
    if to:
        wanted = to.lower().removeprefix("sha256:")
        if len(wanted) < 7:
            raise UserError(f"TO={to!r}: give at least 7 characters of a commit SHA or digest")
        found = next((r for r in good if wanted in (
            r.payload.get("git_sha", "")[: len(wanted)],
            r.payload["digest"].removeprefix("sha256:")[: len(wanted)],
        )), None)  # fmt: skip
        if found is None:
            raise UserError(
                f"{to} was never deployed successfully to {ENVIRONMENT} (in its last {HISTORY} "
                "deployments, `make deployments`): nothing was changed"
            )
        if found.payload["digest"] == serving and not replacing:
            raise UserError(f"{to} is what {ENVIRONMENT} serves now: nothing was changed")
        return found
    found = next((r for r in good if r.payload["digest"] != (replacing or serving)), None)
    if found is None:
        raise UserError(
            f"no earlier successful deployment of {ENVIRONMENT} to return to (`make "
            "deployments` lists them): nothing was changed"
        )
    return found


def short(value: Any, length: int) -> str:
    return str(value or "-").removeprefix("sha256:")[:length]


def table(records: list[Record]) -> str:
    cells = []
    for r in records:
        p = r.payload
        pull = f"#{p['pull_request']}" if p.get("pull_request") else "-"
        status = r.state + (f" ({r.description})" if r.description else "")
        if "rollback_of" in p:
            status += f", rollback of {p['rollback_of']}: {p.get('reason')}"
        cells.append([r.created_at, short(p.get("digest"), 12), short(p.get("git_sha"), 7),
                      short(p.get("model_md5"), 8), p.get("mlflow_model_version") or "-",
                      pull, status])  # fmt: skip
    header = ["when", "image digest", "commit", "model md5", "MLflow", "PR", "status"]
    return reports.table(header, cells)


def deployments_command(args: Namespace) -> str:
    records = history()
    return table(records) if records else f"no deployments of {ENVIRONMENT} recorded yet"


def outcome(state: str) -> str:
    if state != "success":
        return "the rollout failed"
    return f"deployed to {DEPLOY_TARGET}" if DEPLOY_COMMAND else "built, not deployed"


def deploy_record_command(args: Namespace) -> str:
    """Record the release about to deploy; print `id=<deployment>` for $GITHUB_OUTPUT."""
    repository, sha = os.environ.get("GITHUB_REPOSITORY", ""), commit_of("HEAD") or ""
    pull = merged_pull_request(repository, sha) if repository else None
    number = int(pull["number"]) if pull else None
    payload = build_payload(args.image, args.attestation, args.model_version, number)
    return f"id={create(payload, f'release of {sha[:12]}')}"


def deploy_status_command(args: Namespace) -> str:
    set_status(args.id, args.state, outcome(args.state))
    return f"deployment {args.id}: {args.state} ({outcome(args.state)})"


def rollback_plan_command(args: Namespace) -> str:
    """Choose the release to return to and keep it in PLAN; print what verify and deploy need."""
    records = history()
    target = choose(records, args.to, args.replacing)
    replaced = next((r for r in records if r.payload.get("digest") == args.replacing), None)
    replaced = replaced or next((r for r in records if r.state == "success"), None)
    PLAN.parent.mkdir(parents=True, exist_ok=True)
    PLAN.write_text(
        json.dumps({"payload": target.payload, "rollback_of": replaced and replaced.id})
    )
    return f"image={target.payload['image']}\nsha={target.payload['git_sha']}"


def read_plan() -> dict[str, Any]:
    if not PLAN.exists():
        raise UserError(f"{PLAN} not found: run `make rollback-plan` first")
    return json.loads(PLAN.read_text())


def rollback_record_command(args: Namespace) -> str:
    """Record the rollback to the planned release, once its attestation was verified."""
    plan = read_plan()
    payload = {**plan["payload"], "rollback_of": plan["rollback_of"], "reason": args.reason}
    plan["record"] = create(payload, f"rollback to {payload['git_sha'][:12]}: {args.reason}")
    PLAN.write_text(json.dumps(plan))
    return f"id={plan['record']}"


def restore_champion(version: str, md5: str) -> str:
    """Point @champion back at the recorded version, once its artifacts prove the md5."""
    from ..core.params import PACKAGE
    from ..core.tracking import start_mlflow
    from .registry import ALIAS, proves

    client = start_mlflow().MlflowClient()
    if not proves(client, version, md5):
        raise UserError(f"MLflow version {version} of {PACKAGE} does not hold model md5 {md5}")
    client.set_registered_model_alias(PACKAGE, ALIAS, version)
    return f"MLflow model {PACKAGE} version {version} is @{ALIAS} again"


def rollback_finish_command(args: Namespace) -> str:
    """After the deploy: on success move @champion back; then close the rollback's record."""
    plan = read_plan()
    payload, state, done = plan["payload"], args.state, []
    version = payload.get("mlflow_model_version")
    if state == "success" and version and os.environ.get("MLFLOW_TRACKING_URI"):
        try:
            done.append(restore_champion(str(version), payload["model_md5"]))
        except UserError:
            set_status(plan["record"], "failure", "rollback: @champion could not be moved back")
            raise
    set_status(plan["record"], state, f"rollback: {outcome(state)}")
    done.append(f"rollback {plan['record']} to {payload['git_sha'][:12]}: {state}")
    return "\n".join(done)


def rollback_command(args: Namespace) -> int:
    """`make rollback` from a laptop: the steps rollback.yml runs, in the same order."""
    print(rollback_plan_command(args))
    image, sha = (read_plan()["payload"][key] for key in ("image", "git_sha"))
    if run("make", "verify-image", f"IMAGE={image}", f"SOURCE_SHA={sha}").returncode != 0:
        raise UserError(f"{image} has no valid attestation by main's release workflow: refused")
    print(rollback_record_command(args))
    deploy = ["make", DEPLOY_COMMAND, f"IMAGE={image}", f"BENTO_VERSION={sha}"]
    deployed = DEPLOY_COMMAND is None or subprocess.run(deploy, check=False).returncode == 0
    args.state = "success" if deployed else "failure"
    print(rollback_finish_command(args))
    return 0 if deployed else 1
