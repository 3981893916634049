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
from pathlib import Path

import pytest
import yaml

from support.projects import package_name, sh, working_copy
from support.pull_requests import (
    CHECK_LOCK,
    GATE,
    MACHINERY,
    POST_COMMENT,
    PR_NUMBER,
    REPOSITORY,
    assert_ci_trained,
    assert_one_sticky_comment,
    gh_comment_calls,
    machinery_listed,
    scenario,
    touch_readme,
    trained_with_another_seed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("review")]


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


def ten_times_the_forest_with_a_loosened_cost_rule(project: Path) -> None:
    """The same quality at ten times the trees, and the PR's own cost rules opened wide."""
    params = project / "params.yaml"
    params.write_text(
        params.read_text()
        .replace("n_estimators: 100", "n_estimators: 1000")
        .replace("max_relative_increase: 0.5", "max_relative_increase: 100")
    )


def cost_row(report: str, figure: str) -> str:
    section = report[report.index("### Cost") : report.index("### Gate rules")]
    return next(line for line in section.splitlines() if line.startswith(f"| {figure} |"))


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


unchanged = scenario("unchanged", "origin", touch_readme, pipeline=False)
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
ten_times_forest = scenario(
    "ten-times-forest", "origin", ten_times_the_forest_with_a_loosened_cost_rule
)


def test_unchanged_pr_passes_with_zero_deltas(unchanged):
    run, report, _ = unchanged
    assert run.jobs["review"]["result"] == "success", run.transcript()
    assert "## ✅ Model review: no metric regressed beyond tolerance" in report
    for metric in ("accuracy", "f1_macro", "roc_auc"):
        row = next(line for line in report.splitlines() if line.startswith(f"| {metric} |"))
        assert "| +0.0000 |" in row and "✅ unchanged" in row
    assert "No parameter changed." in report
    # The same model file on both sides: what it is never differs, how fast it runs is noise.
    for figure in ("model_size_mb", "complexity"):
        assert "✅ unchanged" in cost_row(report, figure)
    for figure in ("latency_one_p50_ms", "latency_batch_p50_ms"):
        assert "✅" in cost_row(report, figure), report
    assert "How estimated: cost_per_million" in report
    assert "| train_seconds | n/a |" in report, "CI trained the PR's model, and timed it"
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
    # A linear model instead of a forest: smaller, so it shows as an improvement; its timings
    # (mostly the shared feature pipeline for one record) can only pass.
    for figure in ("model_size_mb", "complexity"):
        assert "✅ improved" in cost_row(report, figure), report
    for figure in ("latency_one_p50_ms", "latency_batch_p50_ms"):
        assert "✅" in cost_row(report, figure), report
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


def test_a_ten_times_bigger_forest_fails_on_cost_under_mains_rules(ten_times_forest):
    """Equal quality, ten times the trees: slower and bigger beyond main's cost rules, though
    the PR loosened its own."""
    run, report, _ = ten_times_forest
    assert run.step(CHECK_LOCK).outcome == "success", run.transcript()
    gate = run.step(GATE)
    assert gate.outcome == "failure"
    assert "error: regressed beyond tolerance:" in gate.stderr
    for figure in ("latency_one_p50_ms", "model_size_mb", "complexity"):
        assert figure in gate.stderr
        assert "❌ regressed" in cost_row(report, figure)
    assert "fails above +50% |" in cost_row(report, "model_size_mb"), "main's rule, not the PR's"
    assert "This PR changes the gate's rules" in report
    rule = "review.cost.limits.model_size_mb.max_relative_increase"
    assert f"| `{rule}` | `0.5` | `100` |" in report
    assert not any("❌" in line for line in report.splitlines() if line.startswith("| f1_macro"))
    assert_one_sticky_comment(run, report)
