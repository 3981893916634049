"""Template updates with cruft, for real: a project generated from an older commit of the
template is brought to the current one by `make template-update` (cruft update) and keeps its
owner's edits, and the weekly template-update workflow opens one issue while the project is
behind, none once it is current, and does nothing in a project that cruft did not create.

The template is a real local git repository with two commits: an older version of three
files (one rendered by Jinja, one copied without rendering, one sample the post-gen hook
moves), then the template as it is now.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

from support.combinations import TEMPLATE
from support.projects import commit_all, project_env, render_project, sh
from support.stand_ins import checkout, recorded_calls
from support.workflow_runner import WorkflowRun

REPOSITORY = "acme/cruft-demo"
ISSUE_TITLE = "Template update available"
WORKFLOW = ".github/workflows/template-update.yml"
PROJECT_DIR = "{{cookiecutter.project_slug}}"

# The older template: lint did not run the params/dvc.yaml sanity check yet (a rendered
# file), CI cancelled superseded runs on main too (a workflow, copied without rendering), and
# the sample's contract capped tenure lower (a sample, which the hook moves to data/schema.yaml).
NEW_LINT = (
    "lint: ## Ruff lint and format check, plus the params/dvc.yaml sanity check\n"
    "\t$(RUN) ruff check .\n\t$(RUN) ruff format --check .\n\t$(RUN) $(PACKAGE) check\n"
)
OLD_LINT = (
    "lint: ## Ruff lint and format check\n\t$(RUN) ruff check .\n\t$(RUN) ruff format --check .\n"
)
NEW_CANCEL = "cancel-in-progress: ${{ github.event_name == 'pull_request' }}"
OLD_CANCEL = "cancel-in-progress: true"
OLDER_FILES = {
    f"{PROJECT_DIR}/Makefile": (NEW_LINT, OLD_LINT),
    f"{PROJECT_DIR}/.github/workflows/ci.yml": (NEW_CANCEL, OLD_CANCEL),
    f"{PROJECT_DIR}/data/samples/classification.schema.yaml": (
        "max_value: 72.0",
        "max_value: 60.0",
    ),
}

# What the project's owner changes after generating it: a param, a target of their own in a
# file the template update also changes, and their data contract (tightened, as it asks).
USER_TARGET = (
    "\n# Our own\n.PHONY: notebook\nnotebook: ## Open the exploration notebook\n\t@echo nb\n"
)

FAKE_GH = """
import json, os, sys
args = sys.argv[1:]
record = {"args": args, "repo": os.environ.get("GH_REPO"), "token": os.environ.get("GH_TOKEN")}
with open(os.environ["FAKE_GH_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if args[:2] == ["issue", "list"]:  # the titles `--jq '.[].title'` would print
    print(os.environ.get("FAKE_GH_OPEN_ISSUES", ""))
"""


def git(cwd: Path, *args: str) -> str:
    return sh(["git", *args], cwd).stdout.strip()


def make(project: Path, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
    return sh(["make", "--no-print-directory", *targets], project, check=check)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A git repository of the template: commit 1 the older version, commit 2 the current."""
    repo = tmp_path_factory.mktemp("template") / "mergeship"
    ignore = shutil.ignore_patterns("__pycache__", ".ruff_cache", ".pytest_cache", ".venv")
    repo.mkdir()
    shutil.copy(TEMPLATE / "cookiecutter.json", repo)
    shutil.copytree(TEMPLATE / "hooks", repo / "hooks", ignore=ignore)
    shutil.copytree(TEMPLATE / PROJECT_DIR, repo / PROJECT_DIR, ignore=ignore)
    git(repo, "init", "-q", "-b", "main")
    for name, (new, old) in OLDER_FILES.items():
        text = (repo / name).read_text()
        assert new in text, f"stale fixture: {new!r} not in {name}"
        (repo / name).write_text(text.replace(new, old))
    commit_all(repo, "template: the older version")
    old = git(repo, "rev-parse", "HEAD")
    for name in OLDER_FILES:
        shutil.copy(TEMPLATE / name, repo / name)
    commit_all(repo, "template: lint sanity check, every run on main kept, wider tenure")
    return {"path": repo, "old": old, "new": git(repo, "rev-parse", "HEAD")}


@pytest.fixture(scope="module")
def outdated(template: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Created with cruft from the older commit, committed, then edited by its owner."""
    root = tmp_path_factory.mktemp("outdated")
    options = {"project_name": "Cruft Demo", "dvc_remote_url": str(root / "dvc-remote")}
    command = ["cruft", "create", str(template["path"]), "--checkout", template["old"]]
    sh(
        [*command, "--no-input", "--output-dir", str(root), "--extra-context", json.dumps(options)],
        root,
    )
    project = root / "cruft-demo"
    commit_all(project, "generated with cruft")
    params = project / "params.yaml"
    params.write_text(params.read_text().replace("n_estimators: 100", "n_estimators: 300"))
    with (project / "Makefile").open("a") as makefile:
        makefile.write(USER_TARGET)
    schema = project / "data/schema.yaml"
    schema.write_text(schema.read_text().replace("max_value: 120.0", "max_value: 110.0"))
    commit_all(project, "more trees; a notebook target; a tighter contract")
    return project


@pytest.fixture(scope="module")
def update(outdated: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of the outdated project after `make template-update`, before committing."""
    project = tmp_path_factory.mktemp("updated") / "cruft-demo"
    shutil.copytree(outdated, project, symlinks=True)
    result = make(project, "template-update")
    status = sh(["git", "status", "--porcelain"], project).stdout
    changed = {line[3:] for line in status.splitlines()}
    return {"project": project, "output": result.stdout + result.stderr, "changed": changed}


@pytest.fixture(scope="module")
def updated(update: dict[str, Any]) -> Path:
    commit_all(update["project"], "take in the template update")
    return update["project"]


def cruft_state(project: Path) -> dict[str, Any]:
    return json.loads((project / ".cruft.json").read_text())


def run_workflow(project: Path, scratch: Path, open_issues: str = "") -> tuple[WorkflowRun, list]:
    """template-update.yml's steps in `project`, with a recording `gh` that lists open_issues."""
    bin_dir, log = scratch / "bin", scratch / "gh.jsonl"
    bin_dir.mkdir(parents=True, exist_ok=True)
    (bin_dir / "gh").write_text(f"#!{sys.executable}\n{FAKE_GH}")
    (bin_dir / "gh").chmod(0o755)

    env = project_env()
    workflow = WorkflowRun(
        workflow=project / WORKFLOW,
        workdir=project,
        github={"repository": REPOSITORY, "token": "stand-in-token", "event_name": "schedule"},
        handlers={"actions/checkout@": checkout(), "astral-sh/setup-uv@": lambda step: {}},
        env={
            **env,
            "PATH": f"{bin_dir}:{env['PATH']}",
            "FAKE_GH_LOG": str(log),
            "FAKE_GH_OPEN_ISSUES": open_issues,
        },
    )
    try:
        workflow.run()
    finally:
        workflow.cleanup()
    return workflow, recorded_calls(log)


# --- cheap: no project generation with a lock ---


def test_the_pinned_cruft_is_the_one_these_tests_lock() -> None:
    """The Makefile's `uvx cruft@X` (users, CI) and the template's dev lock agree."""
    makefile = (TEMPLATE / PROJECT_DIR / "Makefile").read_text()
    pinned = re.search(r"^CRUFT \?= uvx cruft@(\S+)$", makefile, re.M)
    lock = tomllib.loads((TEMPLATE / "uv.lock").read_text())
    locked = next(p["version"] for p in lock["package"] if p["name"] == "cruft")
    assert pinned and pinned[1] == locked


def test_hook_leaves_the_lock_to_the_caller_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """cruft update's throwaway renders skip `uv lock`; everything else the hook does stays."""
    monkeypatch.setenv("MERGESHIP_SKIP_UV_LOCK", "1")
    project = render_project(tmp_path)
    assert not (project / "uv.lock").exists()
    assert (project / ".git").is_dir()
    assert (project / "data/raw/data.csv.dvc").is_file()


# --- for real: cruft create, check and update against the two-commit template ---


@pytest.mark.e2e
def test_cruft_project_records_the_template_commit_it_came_from(
    outdated: Path, template: dict[str, Any]
) -> None:
    state = cruft_state(outdated)
    assert state["template"] == str(template["path"])
    assert state["commit"] == template["old"]
    assert state["context"]["cookiecutter"]["project_slug"] == "cruft-demo"
    assert OLD_LINT in (outdated / "Makefile").read_text()
    # _copy_without_render holds under cruft too: the workflow's expressions are untouched.
    assert OLD_CANCEL in (outdated / ".github/workflows/ci.yml").read_text()
    assert "${{ github.workflow }}" in (outdated / ".github/workflows/ci.yml").read_text()
    assert git(outdated, "status", "--porcelain") == ""


@pytest.mark.e2e
def test_template_check_fails_while_the_template_has_newer_commits(outdated: Path) -> None:
    result = make(outdated, "template-check", check=False)
    assert result.returncode != 0
    assert "out of date" in result.stdout


@pytest.mark.e2e
def test_update_takes_in_the_new_commit_and_keeps_the_owners_edits(
    update: dict[str, Any], template: dict[str, Any]
) -> None:
    project = update["project"]
    makefile = (project / "Makefile").read_text()
    assert NEW_LINT in makefile and makefile.endswith(USER_TARGET)
    assert NEW_CANCEL in (project / ".github/workflows/ci.yml").read_text()
    assert "n_estimators: 300" in (project / "params.yaml").read_text()
    assert cruft_state(project)["commit"] == template["new"]
    # The contract is the owner's ([tool.cruft] skip): the sample's new cap does not reach it.
    contract = (project / "data/schema.yaml").read_text()
    assert "max_value: 110.0" in contract and "max_value: 60.0" in contract
    # Only the template's changes and the new state: the lock, the data, its DVC record and
    # its contract are left alone, and the throwaway renders skipped `uv lock`.
    assert update["changed"] == {"Makefile", ".github/workflows/ci.yml", ".cruft.json"}
    assert update["output"].count("MERGESHIP_SKIP_UV_LOCK=1: skipped `uv lock`.") == 2


@pytest.mark.e2e
def test_template_check_passes_after_the_update(updated: Path) -> None:
    result = make(updated, "template-check")
    assert "up to date" in result.stdout


@pytest.mark.e2e
def test_weekly_workflow_opens_one_issue_for_an_outdated_project(
    outdated: Path, tmp_path: Path
) -> None:
    workflow, calls = run_workflow(outdated, tmp_path)
    assert workflow.jobs["check"]["result"] == "success", workflow.transcript()
    assert [call["args"][:2] for call in calls] == [["issue", "list"], ["issue", "create"]]
    create = calls[1]["args"]
    assert create[create.index("--title") + 1] == ISSUE_TITLE
    assert "make template-update" in create[create.index("--body") + 1]
    assert all(call["repo"] == REPOSITORY and call["token"] == "stand-in-token" for call in calls)


@pytest.mark.e2e
def test_weekly_workflow_adds_no_second_issue_while_one_is_open(
    outdated: Path, tmp_path: Path
) -> None:
    workflow, calls = run_workflow(outdated, tmp_path, open_issues=f"Other\n{ISSUE_TITLE}")
    assert workflow.jobs["check"]["result"] == "success", workflow.transcript()
    assert [call["args"][:2] for call in calls] == [["issue", "list"]]
    assert "already" in workflow.step("Open an issue if the template has new commits").stdout


@pytest.mark.e2e
def test_weekly_workflow_is_quiet_for_an_up_to_date_project(updated: Path, tmp_path: Path) -> None:
    workflow, calls = run_workflow(updated, tmp_path)
    assert workflow.jobs["check"]["result"] == "success", workflow.transcript()
    assert calls == []


@pytest.mark.e2e
def test_weekly_workflow_only_notes_a_project_not_created_with_cruft(
    outdated: Path, tmp_path: Path
) -> None:
    project = tmp_path / "plain"
    shutil.copytree(outdated, project, symlinks=True)
    (project / ".cruft.json").unlink()
    workflow, calls = run_workflow(project, tmp_path / "run")
    assert workflow.jobs["check"]["result"] == "success", workflow.transcript()
    assert calls == []
    step = workflow.step("Open an issue if the template has new commits")
    assert "::notice::No .cruft.json" in step.stdout


@pytest.mark.e2e
def test_weekly_workflow_fails_without_an_issue_when_the_template_is_unreachable(
    outdated: Path, tmp_path: Path
) -> None:
    """A check that could not run is a failed run to look at, not a template update."""
    project = tmp_path / "moved"
    shutil.copytree(outdated, project, symlinks=True)
    state = cruft_state(project)
    state["template"] = str(tmp_path / "no-such-template")
    (project / ".cruft.json").write_text(json.dumps(state))
    workflow, calls = run_workflow(project, tmp_path / "run")
    assert workflow.jobs["check"]["result"] == "failure", workflow.transcript()
    assert calls == []
    assert (
        "cruft check failed"
        in workflow.step("Open an issue if the template has new commits").stderr
    )
