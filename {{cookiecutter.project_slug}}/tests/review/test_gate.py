"""The PR regression gate's rules, on numbers: direction, absolute and relative tolerance."""

from __future__ import annotations

import pytest

from {{ cookiecutter.package_name }}.core.fairness_gate import (
    split_metrics,
)
from {{ cookiecutter.package_name }}.core.gate import (
    judge_groups,
    judge_metrics,
    regresses,
    worst_group,
)
from {{ cookiecutter.package_name }}.core.params import (
    GroupGate,
    Tolerance,
)
from {{ cookiecutter.package_name }}.review.rules import (
    rule_changes,
)

HIGHER = Tolerance(better="higher", max_drop=0.01)
LOWER_RELATIVE = Tolerance(better="lower", max_relative_drop=0.05)


@pytest.mark.parametrize(
    ("main", "pr", "tolerance", "expected"),
    [
        (0.80, 0.80, HIGHER, False),  # unchanged
        (0.80, 0.85, HIGHER, False),  # better
        (0.80, 0.795, HIGHER, False),  # worse, within the absolute tolerance
        (0.80, 0.789, HIGHER, True),  # worse beyond it
        (40.0, 41.9, LOWER_RELATIVE, False),  # error up 4.75%: within 5%
        (40.0, 42.1, LOWER_RELATIVE, True),  # error up 5.25%
        (40.0, 30.0, LOWER_RELATIVE, False),  # error down: better
    ],
)
def test_a_metric_regresses_only_beyond_its_tolerance(main, pr, tolerance, expected):
    assert regresses(main, pr, tolerance) is expected


def test_any_exceeded_tolerance_fails_when_both_are_given():
    both = Tolerance(better="higher", max_drop=0.5, max_relative_drop=0.01)
    assert regresses(0.9, 0.88, both)  # 0.02 is within 0.5, but 2.2% is beyond 1%


def test_rows_name_every_metric_and_flag_new_and_removed_ones():
    rows = judge_metrics({"a": 1.0, "old": 2.0}, {"a": 0.5, "extra": 3.0}, {"a": HIGHER})
    assert [(row.name, row.status) for row in rows] == [
        ("a", "regressed"),
        ("extra", "new"),
        ("old", "removed"),
    ]
    assert rows[0].delta == pytest.approx(-0.5)


def test_small_groups_are_shown_but_not_gated_and_the_worst_is_found():
    gate = GroupGate(metric="f1", better="higher", max_drop=0.05)
    main = {"big": {"f1": 0.8, "rows": 100}, "tiny": {"f1": 0.9, "rows": 5}}
    pr = {"big": {"f1": 0.7, "rows": 100}, "tiny": {"f1": 0.1, "rows": 5}}
    rows = judge_groups(main, pr, gate, min_rows=30)
    assert [(row.name, row.status) for row in rows] == [
        ("big", "regressed"),
        ("tiny", "too small to gate"),
    ]
    assert worst_group(rows, "higher").name == "big"


def test_a_gated_metric_the_pr_drops_is_a_regression():
    """Dropping a gated metric (or making it NaN, which metrics.json cannot hold) fails closed."""
    rows = judge_metrics({"a": 0.8, "b": 0.7}, {"b": 0.7}, {"a": HIGHER, "b": HIGHER})
    assert [(row.name, row.status) for row in rows] == [("a", "regressed"), ("b", "unchanged")]


def test_non_finite_metrics_count_as_missing():
    overall, _ = split_metrics({"a": float("nan"), "b": float("inf"), "c": 0.5})
    assert overall == {"c": 0.5}


def test_the_rules_a_pr_changes_are_listed_key_by_key():
    base = {"review": {"metrics": {"a": {"better": "higher", "max_drop": 0.01}}}}
    pr = {"review": {"metrics": {"a": {"better": "higher", "max_drop": 0.5}}}}
    assert rule_changes(base, pr) == [("review.metrics.a.max_drop", 0.01, 0.5)]
    assert rule_changes(base, base) == []
