"""Every supported combination renders into a clean, complete, lint-free project."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from combinations import CHOICE_OPTIONS, SUPPORTED, all_pairs, combo_id, pairs_of
from conftest import run

LEFTOVER_JINJA = re.compile(r"\{\{|\{%|\{#")
BINARY_SUFFIXES = {".skops", ".parquet", ".db"}

ALWAYS = {
    ".dvc/config",
    ".dvcignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".python-version",
    ".github/actions/setup/action.yml",
    ".github/workflows/ci.yml",
    ".github/workflows/pr-review.yml",
    ".github/workflows/release.yml",
    ".github/workflows/template-update.yml",
    ".github/actions/deploy/action.yml",
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
    "uv.lock",
}
PACKAGE_MODULES = {
    "__init__.py",
    "__main__.py",
    "artifacts.py",
    "cli.py",
    "config.py",
    "contract.py",
    "data.py",
    "errors.py",
    "evaluate.py",
    "features.py",
    "metrics.py",
    "model.py",
    "sanity.py",
    "tracking.py",
    "train.py",
    "vcs.py",
    "gate.py",
    "diffs.py",
    "report.py",
    "review.py",
    "identity.py",
    "payload.py",
    "registry.py",
    "release.py",
    "service.py",
    "smoke.py",
    "prediction_metrics.py",
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
DEPLOY_ACTION_CALLS = {"kubernetes": "make k8s-apply", "bentocloud": "make bentocloud-deploy"}
# Drift detection and retraining: present with monitoring=yes, pruned with no.
MONITORING_FILES = {
    ".github/workflows/retrain.yml",
    "monitoring/alerts.yaml",
    "monitoring/grafana-dashboard.json",
    "monitoring/monitoring.mk",
    "src/{package}/drift.py",
    "src/{package}/drift_stats.py",
    "src/{package}/inference_log.py",
    "src/{package}/metrics_push.py",
    "src/{package}/retrain.py",
    "tests/test_drift.py",
    "tests/test_inference_log.py",
    "tests/test_metrics_push.py",
}
NEVER = {"data/samples", "licenses"}


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

    assert files >= ALWAYS, f"missing: {sorted(ALWAYS - files)}"
    assert {f"src/{package}/{name}" for name in PACKAGE_MODULES} <= files
    for gone in NEVER:
        assert not any(name.startswith(gone + "/") for name in files), f"{gone} was not pruned"
    assert (".github/actions/remote-auth/action.yml" in files) and not any(
        "remote-auth-" in name for name in files
    ), "exactly the chosen remote's auth action must remain"
    target = combo["deploy_target"]
    deploy = {name for name in files if name.startswith("deploy/")}
    monitor = {"deploy/kubernetes/servicemonitor.yaml"}
    expected = DEPLOY_FILES[target]
    if target == "kubernetes" and combo["monitoring"] == "yes":
        expected = expected | monitor
    assert deploy == expected, f"deploy files of {target}: {sorted(deploy ^ expected)}"
    assert not any(".github/actions/deploy-" in name for name in files)
    action = (project / ".github/actions/deploy/action.yml").read_text()
    assert DEPLOY_ACTION_CALLS.get(target, "nothing was deployed") in action
    if combo["monitoring"] == "no":
        assert not any(name.startswith("monitoring/") for name in files)
    monitoring = {name.format(package=package) for name in MONITORING_FILES}
    if combo["monitoring"] == "yes":
        assert monitoring <= files, f"missing: {sorted(monitoring - files)}"
    else:
        assert not monitoring & files, f"not pruned: {sorted(monitoring & files)}"

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
    assert params["evaluate"]["slice_by"] in header
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
