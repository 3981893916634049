"""Every supported combination renders into a clean, complete, lint-free project."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from support.combinations import CHOICE_OPTIONS, SUPPORTED, all_pairs, combo_id, pairs_of
from support.projects import run

LEFTOVER_JINJA = re.compile(r"\{\{|\{%|\{#")
BINARY_SUFFIXES = {".skops", ".parquet", ".db"}

ALWAYS = {
    ".dvc/.gitignore",
    ".dvc/config",
    ".dvcignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    ".github/CODEOWNERS",
    ".github/actions/deploy/action.yml",
    ".github/actions/remote-auth/action.yml",
    ".github/actions/rollback/action.yml",
    ".github/actions/setup/action.yml",
    ".github/rulesets/main.json",
    ".github/workflows/ci.yml",
    ".github/workflows/pr-comment.yml",
    ".github/workflows/pr-review.yml",
    ".github/workflows/release.yml",
    ".github/workflows/rollback.yml",
    ".github/workflows/template-update.yml",
    ".github/zizmor.yml",
    "LICENSE",
    "Makefile",
    "README.md",
    "bentofile.yaml",
    "data/raw/data.csv",
    "data/raw/data.csv.dvc",
    "data/raw/.gitignore",
    "data/schema.yaml",
    "dvc.yaml",
    "params.yaml",
    "pyproject.toml",
    "scripts/find-uv.sh",
    "scripts/uv.sh",
    "uv.lock",
}
# The generated package: the user's room (modeling/), the shared core, one folder per moment.
PACKAGE_TREE = {
    "": {"__init__", "__main__", "cli"},
    "modeling": {"__init__", "features", "metrics", "model"},
    "core": {
        "__init__",
        "contract",
        "errors",
        "fairness_gate",
        "gate",
        "git",
        "lockfile",
        "model_call",
        "model_file",
        "params",
        "paths",
        "recipe",
        "reports",
        "scoring",
        "shell",
        "tables",
        "tracking",
    },
    "pipeline": {
        "__init__",
        "contract",
        "data",
        "estimator",
        "evaluate",
        "reproduce",
        "sanity",
        "train",
    },
    "review": {
        "__init__",
        "boundary",
        "check_lock",
        "comment",
        "compare",
        "cost",
        "diffs",
        "report",
        "rules",
    },
    "serving": {
        "__init__",
        "batching",
        "http_guard",
        "payload",
        "prediction_metrics",
        "service",
        "smoke",
    },
    "release": {
        "__init__",
        "bento",
        "deployments",
        "environments",
        "model_card",
        "registry",
        "review_proof",
    },
}
MONITORING_PACKAGE = {
    "__init__",
    "drift",
    "labels",
    "performance",
    "retrain",
    "verdict",
}
# The generated tests mirror the package's folders.
TESTS = {
    "conftest.py",
    "test_config.py",
    "test_layers.py",
    "test_pinned_internals.py",
    "release/test_deployments.py",
    "release/test_environments.py",
    "release/test_lockfile.py",
    "release/test_model_card.py",
    "modeling/test_features.py",
    "modeling/test_model.py",
    "pipeline/test_artifacts.py",
    "pipeline/test_contract.py",
    "pipeline/test_data.py",
    "pipeline/test_fairness.py",
    "review/test_boundary.py",
    "review/test_comment.py",
    "review/test_cost.py",
    "review/test_fairness_gate.py",
    "review/test_gate.py",
    "serving/test_batching.py",
    "serving/test_http_guard.py",
    "serving/test_payload.py",
    "serving/test_prediction_metrics.py",
    "serving/test_request_timeout.py",
}
MONITORING_TESTS = {
    "monitoring/test_drift.py",
    "monitoring/test_inference_log.py",
    "monitoring/test_labels.py",
    "monitoring/test_performance.py",
    "monitoring/test_verdict.py",
}
# Per deploy_target: what deploy/ holds, and what its deploy action calls.
DEPLOY_FILES = {
    "kubernetes": {
        "deploy/kubernetes/deploy.mk",
        "deploy/kubernetes/deployment.yaml",
        "deploy/kubernetes/hpa.yaml",
        "deploy/kubernetes/kustomization.yaml",
        "deploy/kubernetes/pdb.yaml",
        "deploy/kubernetes/service.yaml",
    },
    "bentocloud": {"deploy/bentocloud/deploy.mk", "deploy/bentocloud/deployment.yaml"},
    "none": set(),
}
# Per dvc_remote: the chosen provider's Terraform, flattened into infra/terraform/.
TERRAFORM = {
    "infra/.gitignore",
    *(f"infra/terraform/{name}.tf" for name in ("main", "outputs", "variables", "versions")),
}
TERRAFORM_FILES = {"local": set(), "s3": TERRAFORM, "gcs": TERRAFORM, "azure": TERRAFORM}
DEPLOY_ACTION_CALLS = {"kubernetes": "make k8s-apply", "bentocloud": "make bentocloud-deploy"}
# Drift detection and retraining: present with monitoring=yes, pruned with no.
MONITORING_FILES = {
    ".github/workflows/retrain.yml",
    "monitoring/alerts.test.yaml",
    "monitoring/alerts.yaml",
    "monitoring/grafana-dashboard.json",
    "monitoring/monitoring.mk",
    "monitoring/prometheus.yml",
}


def expected_files(combo: dict[str, str], package: str) -> set[str]:
    """Exactly the files a fresh render of `combo` holds, outside .git and the DVC cache."""
    tree = dict(PACKAGE_TREE)
    tests = set(TESTS)
    files = ALWAYS | DEPLOY_FILES[combo["deploy_target"]] | TERRAFORM_FILES[combo["dvc_remote"]]
    if combo["monitoring"] == "yes":
        tree["monitoring"] = MONITORING_PACKAGE
        tree["core"] = tree["core"] | {"inference_log"}
        tests |= MONITORING_TESTS
        files |= MONITORING_FILES
        if combo["deploy_target"] == "kubernetes":
            files |= {"deploy/kubernetes/servicemonitor.yaml"}
    for folder, modules in tree.items():
        prefix = f"src/{package}/{folder}/" if folder else f"src/{package}/"
        files |= {f"{prefix}{module}.py" for module in modules}
    files.add(f"src/{package}/modeling/model_card.md")  # the card's hand-written sections
    return files | {f"tests/{name}" for name in tests}


def project_files(project: Path) -> set[str]:
    return {
        str(path.relative_to(project))
        for path in project.rglob("*")
        if path.is_file()
        and ".git" not in path.relative_to(project).parts[:1]
        and ".dvc/cache" not in str(path.relative_to(project))
    }


def test_supported_set_covers_all_pairs():
    covered = set().union(*(pairs_of(combo) for combo in SUPPORTED))
    assert covered == all_pairs()


@pytest.mark.parametrize("combo", SUPPORTED, ids=combo_id)
def test_combination_renders_clean(render, combo):
    project = render(**combo)
    files = project_files(project)
    package = project.name.replace("-", "_")

    expected = expected_files(combo, package)
    assert files == expected, (
        f"missing: {sorted(expected - files)}; unexpected: {sorted(files - expected)}"
    )
    target = combo["deploy_target"]
    action = (project / ".github/actions/deploy/action.yml").read_text()
    assert DEPLOY_ACTION_CALLS.get(target, "nothing was deployed") in action

    for name in files:
        path = project / name
        if path.suffix in BINARY_SUFFIXES:
            continue
        text = path.read_text()
        if not name.startswith(".github/"):
            assert not LEFTOVER_JINJA.search(text), f"unrendered Jinja in {name}"
        if path.suffix in {".yaml", ".yml"} or name.endswith(".dvc"):
            yaml.safe_load(text)
    tomllib.loads((project / "pyproject.toml").read_text())
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)


@pytest.mark.parametrize("task", CHOICE_OPTIONS["task"])
def test_task_picks_its_sample_data_and_target(render, task):
    project = render(task=task)
    params = yaml.safe_load((project / "params.yaml").read_text())
    header = (project / "data/raw/data.csv").read_text().splitlines()[0].split(",")
    assert params["data"]["target"] in header
    assert set(params["evaluate"]["sensitive_features"]) <= set(header)
    schema = yaml.safe_load((project / "data/schema.yaml").read_text())
    assert list(schema["columns"]) == header


@pytest.mark.parametrize("remote", CHOICE_OPTIONS["dvc_remote"])
def test_dvc_config_points_at_the_chosen_remote(render, remote):
    project = render(dvc_remote=remote)
    config = (project / ".dvc/config").read_text()
    expected = {
        "local": f"url = ../../{project.name}-dvc-storage",
        "s3": "url = s3://my-bucket/",
        "gcs": "url = gs://my-bucket/",
        "azure": "url = azure://my-container/",
    }[remote]
    assert expected in config
    extra = {"local": "", "s3": "dvc[s3]", "gcs": "dvc[gs]", "azure": "dvc[azure]"}[remote]
    assert extra in (project / "pyproject.toml").read_text()


def test_sample_data_is_tracked_by_dvc_with_a_matching_cache_entry(render):
    import hashlib

    project = render()
    data = (project / "data/raw/data.csv").read_bytes()
    md5 = hashlib.md5(data).hexdigest()
    record = yaml.safe_load((project / "data/raw/data.csv.dvc").read_text())["outs"][0]
    assert record == {"md5": md5, "size": len(data), "hash": "md5", "path": "data.csv"}
    assert (project / ".dvc/cache/files/md5" / md5[:2] / md5[2:]).read_bytes() == data
    assert (project / "data/raw/.gitignore").read_text() == "/data.csv\n"


def test_project_is_a_git_repo_on_main_with_data_ignored(render):
    project = render()
    assert run(["git", "branch", "--show-current"], cwd=project).stdout.strip() == "main"
    ignored = run(["git", "check-ignore", "data/raw/data.csv", "mlflow.db"], cwd=project)
    assert ignored.stdout.split() == ["data/raw/data.csv", "mlflow.db"]


def test_long_project_names_stay_ruff_clean(render):
    project = render(project_name="A Very Long Project Name For Testing Line Lengths")
    run(["ruff", "check", "--no-cache", "."], cwd=project)
    run(["ruff", "format", "--check", "--no-cache", "."], cwd=project)
