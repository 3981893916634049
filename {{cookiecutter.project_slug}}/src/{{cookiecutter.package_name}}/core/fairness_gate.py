"""Fairness judged: each sensitive feature's measures and groups, main against the PR in a
review, or the reviewed model against the live one in the performance check.

A measure fails beyond its bound (max, min) or when it worsens against main by more than
allowed; each group's metric is judged like review.metrics. Regressions name the feature,
and the group when there is one: `demographic_parity_difference[region]`,
`f1_macro[region=north]`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .gate import EPSILON, Compared, GroupRow, in_order, judge_groups, status_of, worst_group
from .params import FairnessGate, FairnessLimit, Tolerance
from .reports import ICONS, number, signed

FAIRNESS = "fairness."
GROUPS = "groups."

Groups = dict[str, dict[str, float]]  # {group: {metric: value}}


@dataclass
class FeatureFairness:
    measures: dict[str, float] = field(default_factory=dict)
    groups: Groups = field(default_factory=dict)


def split_metrics(flat: dict[str, Any]) -> tuple[dict[str, float], dict[str, FeatureFairness]]:
    overall: dict[str, float] = {}
    fairness: dict[str, FeatureFairness] = {}
    for key, value in flat.items():
        if type(value) not in (int, float) or not math.isfinite(value):
            continue  # a non-finite metric counts as missing: gated, that is a regression
        if key.startswith(FAIRNESS):
            column, rest = key[len(FAIRNESS) :].split(".", 1)
            feature = fairness.setdefault(column, FeatureFairness())
            if rest.startswith(GROUPS):
                group, metric = rest[len(GROUPS) :].rsplit(".", 1)
                feature.groups.setdefault(group, {})[metric] = float(value)
            else:
                feature.measures[rest] = float(value)
        else:
            overall[key] = float(value)
    return overall, fairness


BEYOND = "beyond limit"
FAILING = {"regressed", BEYOND}


@dataclass(frozen=True)
class MeasureRow(Compared):
    name: str
    main: float | None
    pr: float | None
    limit: FairnessLimit | None
    status: str


def beyond(value: float, limit: FairnessLimit) -> bool:
    return (limit.max is not None and value > limit.max + EPSILON) or (
        limit.min is not None and value < limit.min - EPSILON
    )


def measure_status(main: float | None, pr: float | None, limit: FairnessLimit | None) -> str:
    """Like a metric's status; a PR value beyond the bound fails whatever main had."""
    if limit is None:
        return status_of(main, pr, None)
    if pr is not None and beyond(pr, limit):
        return BEYOND
    unbounded = Tolerance(better=limit.better, max_drop=math.inf)
    return status_of(main, pr, limit.tolerance or unbounded)


def judge_measures(
    main: dict[str, float], pr: dict[str, float], limits: dict[str, FairnessLimit]
) -> list[MeasureRow]:
    """One row per measure on either side: bounded ones first, in params.yaml order."""
    rows = []
    for name in in_order(main, pr, limits):
        found = (main.get(name), pr.get(name), limits.get(name))
        rows.append(MeasureRow(name, *found, measure_status(*found)))
    return rows


# How each bound of a FairnessLimit reads in the report's limit column.
LIMIT_TEXT = {
    "max": "≤ {:g}",
    "min": "≥ {:g}",
    "max_increase": "up by ≤ {:g}",
    "max_relative_increase": "up by ≤ {:.0%}",
    "max_decrease": "down by ≤ {:g}",
}


def describe_limit(limit: FairnessLimit | None) -> str:
    if limit is None:
        return "-"
    bounds = ((text, getattr(limit, name)) for name, text in LIMIT_TEXT.items())
    return "; ".join(text.format(value) for text, value in bounds if value is not None)


@dataclass(frozen=True)
class FeatureReview:
    column: str
    measures: list[MeasureRow]
    groups: list[GroupRow]
    worst: GroupRow | None

    def regressions(self, metric: str) -> list[str]:
        return [f"{row.name}[{self.column}]" for row in self.measures if row.status in FAILING] + [
            f"{metric}[{self.column}={row.group}]" for row in self.groups if row.status in FAILING
        ]


def judge_feature(
    column: str, main: FeatureFairness, pr: FeatureFairness, gate: FairnessGate
) -> FeatureReview:
    measures = judge_measures(main.measures, pr.measures, gate.metrics)
    if gate.groups is None:
        return FeatureReview(column, measures, [], None)
    groups = judge_groups(main.groups, pr.groups, gate.groups, gate.min_rows)
    return FeatureReview(column, measures, groups, worst_group(groups, gate.groups.better))


# What the two sides of a table are called: main and the PR in a review; the reviewed model
# and the live one in the performance check on delayed labels.
SIDES = ("main", "PR")


def table(review: FeatureReview, metric: str | None, sides: tuple[str, str] = SIDES) -> str:
    """Measures, then the gated metric per group, main against the PR (or `sides`)."""
    old, new = sides
    icons = ICONS | {BEYOND: "❌ beyond limit"}
    lines = [
        f"#### `{review.column}`",
        "",
        f"| measure | {old} | {new} | Δ | limit | status |",
        "|---|---:|---:|---:|---|---|",
    ]
    lines += [
        f"| {row.name} | {number(row.main)} | {number(row.pr)} | {signed(row.delta)} "
        f"| {describe_limit(row.limit)} | {icons[row.status]} |"
        for row in review.measures
    ]
    if review.groups:
        lines += [
            "",
            f"| {review.column} | rows | {old} {metric} | {new} {metric} | Δ | status |",
            "|---|---:|---:|---:|---:|---|",
        ]
        lines += [
            f"| {row.group} | {row.rows} | {number(row.main)} | {number(row.pr)} "
            f"| {signed(row.delta)} | {icons[row.status]} |"
            for row in review.groups
        ]
    if (worst := review.worst) is not None:
        lines += ["", f"Worst gated group: **{worst.group}** ({signed(worst.delta)})."]
    return "\n".join(lines)


def fairness_section(
    columns: list[str],
    main: dict[str, FeatureFairness],
    pr: dict[str, FeatureFairness],
    gate: FairnessGate | None,
    sides: tuple[str, str] = SIDES,
) -> tuple[str, list[str]]:
    """The report's Fairness section and the regressions it found, per sensitive feature."""
    gate = gate or FairnessGate()
    metric = gate.groups.metric if gate.groups else None
    reviews = [
        judge_feature(
            column, main.get(column, FeatureFairness()), pr.get(column, FeatureFairness()), gate
        )
        for column in columns
        if column in main or column in pr
    ]
    if not reviews:
        return "", []
    intro = (
        f"### Fairness\n\nGroups under {gate.min_rows} rows are shown but not judged, "
        "and left out of the measures."
    )
    section = "\n\n".join([intro, *(table(review, metric, sides) for review in reviews)])
    regressions = [name for review in reviews for name in review.regressions(metric or "")]
    return section, regressions
