"""The trust boundary, attacked as a PR author with write access to a branch would: each
attack a real branch through pr-review.yml and pr-comment.yml, failing for the reason named.

A module of its own (its own main and xdist group), so these scenarios run beside
test_pr_review.py's on the other worker.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.pull_requests import (
    CHECK_LOCK,
    GATE,
    RETRAINED,
    assert_one_sticky_comment,
    gh_comment_calls,
    machinery_listed,
    scenario,
    touch_readme,
    trained_with_another_seed,
)

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("trust-boundary")]


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
