"""Fairness judged per sensitive feature, main against the PR (or the reviewed model against
the live one): a measure fails beyond its bound or when it worsens by more than allowed; each
group's metric is judged like review.metrics. Regressions read `measure[feature]` or
`metric[feature=group]`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from .gate import EPSILON, judge_groups, judge_metrics, metric_table, status_of, worst_group
from .params import FairnessGate, FairnessLimit
from .reports import ICONS, number, signed, table

BEYOND = "beyond limit"
FAILING = {"regressed", BEYOND}


@dataclass
class FeatureFairness:
    measures: dict[str, float] = field(default_factory=dict)
    groups: dict[str, dict[str, float]] = field(default_factory=dict)  # {group: {metric: value}}


def split_metrics(flat: dict[str, Any]) -> tuple[dict[str, float], dict[str, FeatureFairness]]:
    overall: dict[str, float] = {}
    fairness: dict[str, FeatureFairness] = {}
    for key, value in flat.items():
        if type(value) not in (int, float) or not math.isfinite(value):
            continue  # a non-finite metric counts as missing: gated, that is a regression
        if key.startswith("fairness."):
            column, rest = key.removeprefix("fairness.").split(".", 1)
            feature = fairness.setdefault(column, FeatureFairness())
            if rest.startswith("groups."):
                group, metric = rest.removeprefix("groups.").rsplit(".", 1)
                feature.groups.setdefault(group, {})[metric] = float(value)
            else:
                feature.measures[rest] = float(value)
        else:
            overall[key] = float(value)
    return overall, fairness


def measure_status(main: float | None, pr: float | None, limit: FairnessLimit | None) -> str:
    """Like a metric's status; a PR value beyond the bound fails whatever main had."""
    if limit is None:
        return status_of(main, pr, None)
    if pr is not None and (
        (limit.max is not None and pr > limit.max + EPSILON)
        or (limit.min is not None and pr < limit.min - EPSILON)
    ):
        return BEYOND
    return status_of(main, pr, limit.tolerance)


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


def feature_table(
    column: str,
    main: FeatureFairness,
    pr: FeatureFairness,
    gate: FairnessGate,
    sides: tuple[str, str],
) -> tuple[str, list[str]]:
    """One feature's measures, then the gated metric per group; and the regressions found."""
    old, new = sides
    measures = judge_metrics(main.measures, pr.measures, gate.metrics, measure_status)
    header = ["measure", old, new, "Δ", "limit", "status"]
    lines = [f"#### `{column}`", "", metric_table(measures, header, describe_limit)]
    failed = [f"{row.name}[{column}]" for row in measures if row.status in FAILING]
    if gate.groups is None:
        return "\n".join(lines), failed
    metric = gate.groups.metric
    groups = judge_groups(main.groups, pr.groups, gate.groups, gate.min_rows)
    if groups:
        cells = ([row.name, row.rows, number(row.main), number(row.pr), signed(row.delta),
                  ICONS[row.status]] for row in groups)  # fmt: skip
        header = [column, "rows", f"{old} {metric}", f"{new} {metric}", "Δ", "status"]
        lines += ["", table(header, cells, "lrrrr")]
    if (worst := worst_group(groups, gate.groups.better)) is not None:
        lines += ["", f"Worst gated group: **{worst.name}** ({signed(worst.delta)})."]
    failed += [f"{metric}[{column}={row.name}]" for row in groups if row.status in FAILING]
    return "\n".join(lines), failed


def fairness_section(
    columns: list[str],
    main: dict[str, FeatureFairness],
    pr: dict[str, FeatureFairness],
    gate: FairnessGate | None,
    sides: tuple[str, str] = ("main", "PR"),  # or the reviewed model and the live one
) -> tuple[str, list[str]]:
    """The report's Fairness section and the regressions it found, per sensitive feature."""
    gate = gate or FairnessGate()
    empty = FeatureFairness()
    tables = [
        feature_table(column, main.get(column, empty), pr.get(column, empty), gate, sides)
        for column in columns
        if column in main or column in pr
    ]
    if not tables:
        return "", []
    intro = (
        f"### Fairness\n\nGroups under {gate.min_rows} rows are shown but not judged, "
        "and left out of the measures."
    )
    section = "\n\n".join([intro, *(text for text, _ in tables)])
    return section, [name for _, failed in tables for name in failed]
