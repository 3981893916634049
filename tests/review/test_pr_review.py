"""The PR review, for real: a generated repo, main with its model, PR branches, and the
pr-review workflow's steps executed in order in a fresh clone, as CI would.

Only GitHub is a stand-in: checkout is the clone itself, the setup action is a local
`uv sync`, OIDC credentials are the real local-directory remote, artifacts are copied, and
`gh` is a recording script.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from support.projects import (
    commit_all,
    copy_main,
    package_name,
    project_env,
    sh,
    working_copy,
)
from support.stand_ins import Artifacts, checkout, recorded_calls, recording_gh, setup
from support.workflow_runner import WorkflowRun

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("review")]

REPOSITORY = "acme/review-demo"
PR_NUMBER = 7


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Path:
    """main with its pipeline run, committed, and its outputs pushed to the DVC remote."""
    return copy_main(shared_main("classification"), tmp_path_factory.mktemp("review-origin"))


def set_a_ceiling(project: Path) -> None:
    """Main's policy: an absolute ceiling on the demographic parity difference, below the
    sample's own gap, so any model of this data is beyond it."""
    params = project / "params.yaml"
    params.write_text(
        params.read_text().replace(
            "demographic_parity_difference: {max_increase: 0.05}",
            "demographic_parity_difference: {max_increase: 0.05, max: 0.01}",
        )
    )


@pytest.fixture(scope="module")
def origin_without_metrics(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Path:
    """main before its first model: what the pipeline wrote is removed (no dvc.lock, no
    metrics.json to compare with); the sample data stays pushed, so clones can pull it."""
    project = copy_main(shared_main("classification"), tmp_path_factory.mktemp("review-first"))
    outputs = ["dvc.lock", "metrics.json", "plots", "reports/validation.json"]
    sh(["git", "rm", "-r", "-q", *outputs], project)
    commit_all(project, "main: before its first model")
    return project


@pytest.fixture(scope="module")
def origin_with_a_ceiling(origin_without_metrics: Path, tmp_path_factory) -> Path:
    """main before its first model, with an absolute fairness ceiling its data exceeds."""
    project = copy_main(origin_without_metrics, tmp_path_factory.mktemp("review-ceiling"))
    set_a_ceiling(project)
    commit_all(project, "main: a fairness ceiling")
    return project


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


def switch_to_logistic_regression(project: Path) -> None:
    params = yaml.safe_load((project / "params.yaml").read_text())
    params["train"]["model"] = "logistic_regression"
    params["train"]["hyperparameters"] = {"C": 1.0, "max_iter": 1000}
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))


def shuffle_labels(project: Path, region: str | None = None) -> None:
    """Shuffle the target among all rows, or only among one region's."""
    path = project / "data/raw/data.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    chosen = [row for row in rows if region is None or row["region"] == region]
    labels = [row["churned"] for row in chosen]
    random.Random(0).shuffle(labels)
    for row, label in zip(chosen, labels, strict=True):
        row["churned"] = label
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def shallower_forest(project: Path) -> None:
    text = (project / "params.yaml").read_text()
    (project / "params.yaml").write_text(text.replace("max_depth: 8", "max_depth: 3"))


def trained_with_another_seed(project: Path) -> None:
    """The author trains with seed 7, then commits params that say 42 with seed 7's lock,
    metrics and model (pushed with their own credentials): a self-consistent lie."""
    params = project / "params.yaml"
    honest = params.read_text()
    params.write_text(honest.replace("seed: 42", "seed: 7"))
    sh(["make", "pipeline"], project)
    sh(["make", "push-data"], project)
    params.write_text(honest)


def hand_edited_metrics(project: Path) -> None:
    metrics = project / "metrics.json"
    values = json.loads(metrics.read_text())
    values["accuracy"] = round(values["accuracy"] + 0.05, 4)
    metrics.write_text(json.dumps(values, indent=2, sort_keys=True) + "\n")


def loosened_gate_and_shuffled_labels(project: Path) -> None:
    """A worse model, with the PR's own tolerances opened wide enough to let it through."""
    shuffle_labels(project)
    params = project / "params.yaml"
    params.write_text(
        params.read_text()
        .replace("max_drop: 0.01}", "max_drop: 0.9}")
        .replace("max_drop: 0.05", "max_drop: 0.9")
    )


def dropped_gated_metric(project: Path) -> None:
    """The PR's scoring code stops reporting roc_auc, which main gates."""
    package = next((project / "src").iterdir())
    metrics = package / "core" / "scoring.py"
    metrics.write_text(
        metrics.read_text().replace(
            "    return scores\n", '    scores.pop("roc_auc", None)\n    return scores\n', 1
        )
    )


def second_metrics_file(project: Path) -> None:
    """A hand-written metrics file with the gated names, declared top-level in dvc.yaml:
    `dvc metrics diff` merges files in no fixed order, so it could hide main's numbers."""
    (project / "reports").mkdir(exist_ok=True)
    (project / "reports/summary.json").write_text('{"accuracy": 0.99, "f1_macro": 0.99}\n')
    with open(project / "dvc.yaml", "a") as pipeline:
        pipeline.write("\nmetrics:\n  - reports/summary.json\n")


def frozen_model_from_another_seed(project: Path) -> None:
    """A model CI never trained: seed 7's, pushed with the author's own write access, then the
    train stage frozen so that DVC would keep whatever model file it finds."""
    trained_with_another_seed(project)
    pipeline = project / "dvc.yaml"
    pipeline.write_text(pipeline.read_text().replace("  train:\n", "  train:\n    frozen: true\n"))


unchanged = scenario("unchanged", "origin", touch_readme, pipeline=False)
# A fork's PR gets no OIDC token, so CI has no reader identity: nothing can be reproduced.
fork_pr = scenario(
    "fork-pr",
    "origin",
    touch_readme,
    configured="false",
    head_repository="someone/review-demo",
    pipeline=False,
)
shadowing_metrics = scenario("second-metrics-file", "origin", second_metrics_file)
frozen_train = scenario("frozen-train", "origin", frozen_model_from_another_seed, pipeline=False)
first_pr_beyond_ceiling = scenario(
    "first-pr-ceiling", "origin_with_a_ceiling", lambda project: None, push_data=True
)
better_params = scenario("better-params", "origin", switch_to_logistic_regression)
north_corrupted = scenario(
    "north-corrupted", "origin", lambda project: shuffle_labels(project, "north"), push_data=True
)
first_pr = scenario("first-pr", "origin_without_metrics", lambda project: None, push_data=True)
lock_not_committed = scenario(
    "lock-not-committed", "origin", shallower_forest, commit=["params.yaml"]
)
another_seed = scenario("another-seed", "origin", trained_with_another_seed, pipeline=False)
edited_metrics = scenario("edited-metrics", "origin", hand_edited_metrics, pipeline=False)
loosened_gate = scenario(
    "loosened-gate", "origin", loosened_gate_and_shuffled_labels, push_data=True
)
dropped_metric = scenario("dropped-metric", "origin", dropped_gated_metric)


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


def test_unchanged_pr_passes_with_zero_deltas(unchanged):
    run, report, _ = unchanged
    assert run.jobs["review"]["result"] == "success", run.transcript()
    assert "## ✅ Model review: no metric regressed beyond tolerance" in report
    for metric in ("accuracy", "f1_macro", "roc_auc"):
        row = next(line for line in report.splitlines() if line.startswith(f"| {metric} |"))
        assert "| +0.0000 |" in row and "✅ unchanged" in row
    assert "No parameter changed." in report
    assert_ci_trained(run)
    assert run.step(CHECK_LOCK).outcome == "success"
    assert "Not reproduced" not in report
    assert_one_sticky_comment(run, report)


def test_pr_with_better_params_passes_and_shows_the_improvement(better_params):
    run, report, _ = better_params
    assert run.jobs["review"]["result"] == "success", run.transcript()
    assert "## ✅ Model review" in report
    f1_row = next(line for line in report.splitlines() if line.startswith("| f1_macro |"))
    assert "✅ improved" in f1_row
    assert "| `train.model` | `random_forest` | `logistic_regression` |" in report
    assert "```mermaid\nxychart-beta" in report
    # CI retrained (the developer pushed nothing) and got the committed lock byte for byte.
    assert_ci_trained(run)
    assert run.step(CHECK_LOCK).outcome == "success"
    assert_one_sticky_comment(run, report)


def test_pr_with_shuffled_labels_fails_the_gate_naming_the_metrics(loosened_gate):
    """Shuffled labels fail whatever the PR's own tolerances say: the loosened-gate PR is
    this attack at its strongest, so one scenario serves both tests (a PR branch costs a
    minute of CI)."""
    run, report, _ = loosened_gate
    gate = run.step(GATE)
    assert gate.outcome == "failure"
    assert run.jobs["review"]["result"] == "failure", run.transcript()
    assert "## ❌ Model review:" in report
    for metric in ("accuracy", "f1_macro", "roc_auc"):
        assert f"`{metric}`" in report.splitlines()[2]
    assert "error: regressed beyond tolerance: accuracy, f1_macro, roc_auc" in gate.stderr
    # The gate failed, yet the PR still gets the report as its one comment.
    assert_one_sticky_comment(run, report)


def test_pr_that_corrupts_one_groups_labels_fails_the_fairness_gate_naming_it(
    north_corrupted, unchanged
):
    run, report, _ = north_corrupted
    gate = run.step(GATE)
    assert gate.outcome == "failure", run.transcript()
    assert "f1_macro[region=north]" in gate.stderr
    assert "`f1_macro[region=north]`" in report.splitlines()[2]
    north = next(line for line in report.splitlines() if line.startswith("| north |"))
    assert "❌ regressed" in north
    # The same table on an unchanged PR: every measure and group judged, none failing.
    _, unchanged_report, _ = unchanged
    fairness = unchanged_report[unchanged_report.index("### Fairness") :]
    assert "| demographic_parity_difference |" in fairness
    assert "| north |" in fairness and "❌" not in fairness


def test_first_pr_without_a_baseline_passes_with_a_note(first_pr):
    run, report, _ = first_pr
    assert run.jobs["review"]["result"] == "success", run.transcript()
    assert "## ✅ Model review: no baseline on main" in report
    assert "🆕 new" in report
    assert_one_sticky_comment(run, report)


def test_pr_without_its_dvc_lock_fails_with_the_fix(lock_not_committed):
    run, _, _ = lock_not_committed
    check = run.step(CHECK_LOCK)
    assert check.outcome == "failure"
    assert "run `make pipeline` and commit dvc.lock" in check.stderr
    assert "dvc.lock" in check.stderr and "metrics.json" in check.stderr
    assert run.jobs["review"]["result"] == "failure", run.transcript()
    assert run.comment.step(POST_COMMENT).outcome == "skipped", "no report, nothing to post"
    assert not gh_comment_calls(run)


def test_review_in_a_shallow_clone_names_the_fix(origin, tmp_path):
    shallow = working_copy(origin, tmp_path / "shallow", shallow=True)
    command = ["uv", "run", "--locked", package_name(origin), "review"]
    result = sh(command, shallow, check=False)
    assert result.returncode == 2
    assert "shallow clone" in result.stderr and "fetch-depth: 0" in result.stderr


def test_review_against_a_missing_base_names_it(origin):
    command = ["uv", "run", "--locked", package_name(origin), "review", "--base", "no-such-branch"]
    result = sh(command, origin, check=False)
    assert result.returncode == 2
    assert "base revision no-such-branch does not exist" in result.stderr


def test_pr_whose_model_came_from_another_seed_fails_naming_the_model(another_seed):
    """The committed lock, metrics and model agree with each other, not with the code."""
    run, _, _ = another_seed
    assert_ci_trained(run)
    check = run.step(CHECK_LOCK)
    assert check.outcome == "failure", run.transcript()
    assert "models/model.skops: committed md5" in check.stderr
    assert "run `make pipeline` and commit dvc.lock" in check.stderr
    assert run.jobs["review"]["result"] == "failure"
    assert not gh_comment_calls(run)


def test_pr_with_hand_edited_metrics_fails(edited_metrics):
    run, _, _ = edited_metrics
    check = run.step(CHECK_LOCK)
    assert check.outcome == "failure", run.transcript()
    assert "metrics.json: the committed numbers are not the ones CI computed" in check.stderr
    assert run.jobs["review"]["result"] == "failure"


def test_pr_that_loosens_its_own_gate_is_judged_by_mains(loosened_gate):
    run, report, _ = loosened_gate
    assert run.step(CHECK_LOCK).outcome == "success", run.transcript()
    gate = run.step(GATE)
    assert gate.outcome == "failure"
    assert "regressed beyond tolerance: accuracy, f1_macro, roc_auc" in gate.stderr
    assert "This PR changes the gate's rules" in report
    assert "| `review.metrics.accuracy.max_drop` | `0.01` | `0.9` |" in report
    assert_one_sticky_comment(run, report)


def test_pr_that_drops_a_gated_metric_fails(dropped_metric):
    run, report, _ = dropped_metric
    assert run.step(CHECK_LOCK).outcome == "success", run.transcript()
    gate = run.step(GATE)
    assert gate.outcome == "failure"
    assert "error: regressed beyond tolerance: roc_auc" in gate.stderr
    row = next(line for line in report.splitlines() if line.startswith("| roc_auc |"))
    assert "| n/a |" in row and "❌ regressed" in row


def machinery_listed(report: str) -> list[str]:
    """The bullet lines of the report's machinery section."""
    section = report[report.index("### Machinery changes") :].split("\n---", 1)[0]
    return [line[2:] for line in section.splitlines() if line.startswith("- ")]


def test_a_pr_inside_the_room_lists_no_machinery(unchanged, better_params):
    for run, report, _ in (unchanged, better_params):
        assert "None: this PR changes only the user's room" in report, run.transcript()
        assert MACHINERY not in report


def test_pr_that_changes_the_judges_code_is_flagged_for_a_code_owner(dropped_metric, origin):
    _, report, _ = dropped_metric
    assert MACHINERY in report
    assert machinery_listed(report) == [f"`src/{package_name(origin)}/core/scoring.py`"]
    # What makes that flag binding: main's ruleset requires a code owner's review, and the
    # generated CODEOWNERS gives the judge's files an owner.
    ruleset = json.loads((origin / ".github/rulesets/main.json").read_text())
    review_rule = next(rule for rule in ruleset["rules"] if rule["type"] == "pull_request")
    assert review_rule["parameters"]["require_code_owner_review"] is True
    checks = next(r for r in ruleset["rules"] if r["type"] == "required_status_checks")
    assert checks["parameters"]["required_status_checks"] == [
        {"context": "Reproduce and review the model", "integration_id": 15368}
    ]


def test_pr_that_adds_a_second_metrics_file_fails_naming_it(shadowing_metrics):
    """Attack 1: only metrics.json is compared, and a gated name elsewhere fails."""
    run, report, _ = shadowing_metrics
    assert run.step(CHECK_LOCK).outcome == "success", run.transcript()
    gate = run.step(GATE)
    assert gate.outcome == "failure"
    assert "accuracy (also in reports/summary.json)" in gate.stderr
    assert "f1_macro (also in reports/summary.json)" in gate.stderr
    # main's numbers are still there, row by row, unchanged.
    accuracy = next(line for line in report.splitlines() if line.startswith("| accuracy |"))
    assert "✅ unchanged" in accuracy
    assert machinery_listed(report) == ["`dvc.yaml`", "dvc.yaml: top-level `metrics` changed"]


def test_pr_that_freezes_the_train_stage_ships_nothing_ci_did_not_train(frozen_train):
    """Attack 2: the planted model is never pulled, and a frozen stage is refused."""
    run, _, _ = frozen_train
    pulled = run.step("Pull the raw data (never a stage output)")
    assert pulled.outcome == "success", run.transcript()
    assert "models/model.skops" not in pulled.stdout + pulled.stderr
    retrained = run.step(RETRAINED)
    assert retrained.outcome == "failure"
    assert "freezes stage(s) train" in retrained.stderr and "refused" in retrained.stderr
    assert run.jobs["review"]["result"] == "failure"
    assert run.step(GATE).outcome == "skipped"
    assert not gh_comment_calls(run)


def test_first_pr_is_held_to_mains_absolute_ceiling(first_pr_beyond_ceiling):
    """No baseline clears relative rules only: a ceiling needs no baseline."""
    run, report, _ = first_pr_beyond_ceiling
    gate = run.step(GATE)
    assert gate.outcome == "failure", run.transcript()
    assert "demographic_parity_difference[region]" in gate.stderr
    assert report.splitlines()[2].startswith("## ❌ Model review: 1 regression(s)")
    row = next(line for line in report.splitlines() if "| demographic_parity_difference |" in line)
    assert "≤ 0.01" in row and "❌ beyond limit" in row
    assert_one_sticky_comment(run, report)


def test_a_fork_pr_ci_could_not_reproduce_is_not_green_yet_gets_its_comment(fork_pr):
    """No reader identity (a fork, or the default `local` remote): the check fails with the
    one fix, and main's comment workflow still posts the report, which says so."""
    run, report, _ = fork_pr
    assert run.step(RETRAINED).outcome == "skipped"
    assert run.step(CHECK_LOCK).outcome == "skipped", "nothing reproduced, nothing vouched for"
    gate = run.step(GATE)
    assert gate.outcome == "failure", run.transcript()
    assert "error: Not reproduced" in gate.stderr and "reader identity" in gate.stderr
    assert "## ❌ Model review: not reproduced, so not judged" in report
    assert run.jobs["review"]["result"] == "failure"
    assert_one_sticky_comment(run, report)


def test_the_review_job_holds_no_write_token_and_main_posts_the_comment(unchanged):
    """The PR's code runs in pr-review.yml, which may write nothing; pr-comment.yml, run from
    main's checkout, confirms the PR's head with GitHub before it writes."""
    run, _, _ = unchanged
    review = yaml.safe_load(run.workflow.read_text())
    assert set(review["jobs"]) == {"review"}
    assert review["permissions"] == {"contents": "read"}
    # id-token mints the OIDC token for the reader identity; it writes nothing.
    assert review["jobs"]["review"]["permissions"] == {"contents": "read", "id-token": "write"}
    assert run.comment.workdir != run.workdir
    assert run.comment.step(POST_COMMENT).outcome == "success", run.comment.transcript()
    asked = [call["args"] for call in run.gh_calls]
    assert asked[0] == ["api", f"repos/{REPOSITORY}/pulls/{PR_NUMBER}"], "the PR confirmed first"
