"""Pull requests for the review tests: a developer's branch pushed to a generated main, the
pr-review workflow run on it in a fresh clone, then pr-comment.yml in a checkout of main, as
GitHub runs them. Only GitHub is a stand-in (see stand_ins.py).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import commit_all, project_env, sh, working_copy
from support.stand_ins import Artifacts, checkout, recorded_calls, recording_gh, setup
from support.workflow_runner import WorkflowRun

REPOSITORY = "acme/review-demo"
PR_NUMBER = 7


def open_pull_request(
    origin: Path,
    workspace: Path,
    branch: str,
    change: Callable[[Path], None],
    *,
    pipeline: bool = True,
    commit: list[str] | None = None,
    push_data: bool = False,
) -> Path:
    """A developer's branch: change, run the pipeline, commit (all, or only `commit`), push."""
    dev = working_copy(origin, workspace / "dev")
    sh(["git", "checkout", "-q", "-b", branch], dev)
    sh(["make", "pull-data"], dev)
    change(dev)
    if pipeline:
        sh(["make", "pipeline"], dev)
    if push_data:
        sh(["make", "push-data"], dev)
    if commit is None:
        commit_all(dev, f"{branch}: change")
    else:
        # Only these paths, even though DVC's autostage staged dvc.lock after the repro.
        sh(["git", "commit", "-q", "--no-verify", "-m", f"{branch}: partial", "--", *commit], dev)
    sh(["git", "push", "-q", "origin", branch], dev)
    return working_copy(origin, workspace / "ci", branch=branch)


def run_review_workflow(
    ci: Path,
    branch: str,
    scratch: Path,
    configured: str = "true",
    main: Path | None = None,
    head_repository: str = REPOSITORY,
) -> WorkflowRun:
    """Execute .github/workflows/pr-review.yml in the CI clone, stand-ins for GitHub only,
    then pr-comment.yml, as GitHub starts it when the review run completes, in a checkout of
    `main` (the default: the CI clone's origin). `configured` is what the remote-auth action
    answers: "false" when CI has no reader identity (the default `local` remote, or a fork)."""
    gh_log = scratch / "gh.jsonl"
    bin_dir = scratch / "bin"
    head_sha = sh(["git", "rev-parse", "HEAD"], ci).stdout.strip()
    # GitHub's answer about the PR: open, at the commit CI reviewed.
    recording_gh(
        bin_dir, gh_log, {f"pulls/{PR_NUMBER}": {"state": "open", "head": {"sha": head_sha}}}
    )
    artifacts = scratch / "artifacts"
    env = {
        "PATH": f"{bin_dir}:{project_env()['PATH']}",
        **{key: value for key, value in project_env().items() if key.startswith("GIT_")},
    }
    run = WorkflowRun(
        workflow=ci / ".github/workflows/pr-review.yml",
        workdir=ci,
        github={
            "repository": REPOSITORY,
            "event_name": "pull_request",
            "base_ref": "main",
            "head_ref": branch,
            "token": "stand-in-token",
            "event": {
                "pull_request": {
                    "number": PR_NUMBER,
                    "head": {"repo": {"full_name": head_repository}},
                }
            },
        },
        handlers={
            "actions/checkout@": checkout("the review needs full history"),
            "./.github/actions/setup": setup(ci),
            # The local-directory remote is reachable here: that is what OIDC grants on GitHub.
            "./.github/actions/remote-auth": lambda step: {"configured": configured},
            **Artifacts(ci, artifacts).handlers(),
        },
        env=env,
    )
    run.run()
    main = main or main_checkout(
        Path(sh(["git", "remote", "get-url", "origin"], ci).stdout.strip())
    )
    conclusion = run.jobs["review"]["result"]
    comment = WorkflowRun(
        workflow=main / ".github/workflows/pr-comment.yml",
        workdir=main,
        github={
            "repository": REPOSITORY,
            "event_name": "workflow_run",
            "token": "stand-in-token",
            "event": {
                "workflow_run": {
                    "id": 4242,
                    "event": "pull_request",
                    "conclusion": conclusion,
                    "head_sha": head_sha,
                }
            },
        },
        handlers={
            "actions/checkout@": checkout(),
            "./.github/actions/setup": setup(main),
            **Artifacts(main, artifacts).handlers(),
        },
        env=env,
    )
    shutil.rmtree(main / "build/review", ignore_errors=True)  # one review's report per run
    comment.run()
    run.comment = comment  # type: ignore[attr-defined]
    run.gh_calls = recorded_calls(gh_log)  # type: ignore[attr-defined]
    return run


MAIN_CHECKOUTS: dict[Path, Path] = {}


def main_checkout(origin: Path) -> Path:
    """One checkout of main per origin, for pr-comment.yml: main's code, never the PR's."""
    if origin not in MAIN_CHECKOUTS:
        MAIN_CHECKOUTS[origin] = working_copy(
            origin, origin.parent / "main-checkout", branch="main"
        )
    return MAIN_CHECKOUTS[origin]


def scenario(
    name: str,
    origin_fixture: str,
    change: Callable[[Path], None],
    configured: str = "true",
    head_repository: str = REPOSITORY,
    **options,
):
    """Run one PR scenario once per module; tests read its results."""

    @pytest.fixture(scope="module")
    def _scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
        origin = request.getfixturevalue(origin_fixture)
        workspace = tmp_path_factory.mktemp(name)
        ci = open_pull_request(origin, workspace, name, change, **options)
        run = run_review_workflow(ci, name, workspace, configured, head_repository=head_repository)
        report = ci / "reports/review.md"
        return run, report.read_text() if report.exists() else "", ci

    return _scenario


def touch_readme(project: Path) -> None:
    with open(project / "README.md", "a") as readme:
        readme.write("\nA documentation-only change.\n")


def trained_with_another_seed(project: Path) -> None:
    """The author trains with seed 7, then commits params that say 42 with seed 7's lock,
    metrics and model (pushed with their own credentials): a self-consistent lie."""
    params = project / "params.yaml"
    honest = params.read_text()
    params.write_text(honest.replace("seed: 42", "seed: 7"))
    sh(["make", "pipeline"], project)
    sh(["make", "push-data"], project)
    params.write_text(honest)


COMMENTS = f"repos/{REPOSITORY}/issues/{PR_NUMBER}/comments"
POST_COMMENT = "Create or update the single review comment (its PR confirmed with GitHub)"
MACHINERY = "⚠️ **A code owner must approve these changes**"
RETRAINED = "Retrain and evaluate from the data, code and params (nothing restored)"
CHECK_LOCK = "Check the committed dvc.lock and metrics.json are what CI computed"
GATE = "Compare with the base branch under its rules (the regression gate)"


def gh_comment_calls(run: WorkflowRun) -> list[dict]:
    """Comments written: the one POST (no comment of ours yet on this PR) or PATCH."""
    return [call for call in run.gh_calls if call["args"][:3] in (
        ["api", "--method", "POST"], ["api", "--method", "PATCH"]
    )]  # fmt: skip


def assert_one_sticky_comment(run: WorkflowRun, report: str) -> None:
    lookups = [call for call in run.gh_calls if call["args"] == ["api", "--paginate", COMMENTS]]
    assert len(lookups) == 1, "the comment is found by its marker among the PR's comments"
    calls = gh_comment_calls(run)
    assert len(calls) == 1
    assert calls[0]["args"] == [
        "api",
        "--method",
        "POST",
        COMMENTS,
        "-F",
        "body=@build/review/review.md",
    ]
    assert calls[0]["body"] == report
    assert report.startswith("<!-- mergeship-review -->")


def assert_ci_trained(run: WorkflowRun) -> None:
    """CI computed what it reports: every stage ran, none was restored."""
    retrained = run.step(RETRAINED)
    assert retrained.outcome != "skipped", run.transcript()
    for stage in ("validate", "prepare", "train", "evaluate"):
        assert f"Running stage '{stage}'" in retrained.stdout
    assert "skipping" not in retrained.stdout


def machinery_listed(report: str) -> list[str]:
    """The bullet lines of the report's machinery section."""
    section = report[report.index("### Machinery changes") :].split("\n---", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]
