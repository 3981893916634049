"""The regression gate, pure functions on numbers: a metric regresses when it moves the wrong
way by more than a tolerance given for it, or when main has it gated and the PR does not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .params import FairnessLimit, GroupGate, Tolerance
from .reports import ICONS, number, signed, table

EPSILON = 1e-12
SMALL = "too small to gate"
Groups = dict[str, dict[str, float]]  # {group: {metric: value}}, one sensitive feature's


def worsening(main: float, pr: float, better: str) -> float:
    return main - pr if better == "higher" else pr - main


def regresses(main: float, pr: float, tolerance: Tolerance) -> bool:
    worse = worsening(main, pr, tolerance.better)
    if worse <= EPSILON:
        return False
    if tolerance.max_drop is not None and worse > tolerance.max_drop + EPSILON:
        return True
    return (
        tolerance.max_relative_drop is not None
        and main != 0
        and worse / abs(main) > tolerance.max_relative_drop + EPSILON
    )


def status_of(main: float | None, pr: float | None, tolerance: Tolerance | None) -> str:
    if main is None and pr is None:
        return "missing"
    if main is None:
        return "new"
    if pr is None:  # dropped, or non-finite: a gated metric can never fail open
        return "removed" if tolerance is None else "regressed"
    if tolerance is None:
        return "not gated"
    if regresses(main, pr, tolerance):
        return "regressed"
    worse = worsening(main, pr, tolerance.better)
    if abs(worse) <= EPSILON:
        return "unchanged"
    return "improved" if worse < 0 else "within tolerance"


def describe(tolerance: Tolerance | None) -> str:
    if tolerance is None:
        return "-"
    arrow = "↑" if tolerance.better == "higher" else "↓"
    bounds = ((tolerance.max_drop, "≤ {:g}"), (tolerance.max_relative_drop, "≤ {:.0%}"))
    limits = " and ".join(text.format(value) for value, text in bounds if value is not None)
    return f"{arrow} better; worse by {limits}"


@dataclass(frozen=True)
class MetricRow:
    name: str
    main: float | None
    pr: float | None
    tolerance: Tolerance | FairnessLimit | None  # a limit for a fairness measure
    status: str

    @property
    def delta(self) -> float | None:
        return None if self.main is None or self.pr is None else self.pr - self.main


@dataclass(frozen=True)
class GroupRow(MetricRow):  # named by its group, judged like review.metrics when large enough
    rows: int


def metric_table(
    rows: list[MetricRow],
    header: list[str],
    rule: Callable[[Any], str] = describe,
    mark: Callable[[str], str] = ICONS.__getitem__,
) -> str:
    """Judged metrics: both sides, the change, the rule and the status."""
    cells = ([r.name, number(r.main), number(r.pr), signed(r.delta), rule(r.tolerance),
              mark(r.status)] for r in rows)  # fmt: skip
    return table(header, cells, "lrrr")


def judge_metrics(
    main: dict[str, float],
    pr: dict[str, float],
    tolerances: dict[str, Tolerance] | dict[str, FairnessLimit],
    status: Callable[..., str] = status_of,
) -> list[MetricRow]:
    """One row per metric on either side: gated metrics first, in params.yaml order."""
    rows = []
    for name in [*tolerances, *sorted((set(main) | set(pr)) - set(tolerances))]:
        if name in main or name in pr:
            found = (main.get(name), pr.get(name), tolerances.get(name))
            rows.append(MetricRow(name, *found, status(*found)))
    return rows


def judge_groups(main: Groups, pr: Groups, gate: GroupGate, min_rows: int) -> list[GroupRow]:
    """Per group of a sensitive feature; groups below min_rows are shown, not gated."""
    rows = []
    for group in sorted(set(main) | set(pr)):
        before, after = main.get(group, {}), pr.get(group, {})
        size = int(after.get("rows", before.get("rows", 0)))
        old, new = before.get(gate.metric), after.get(gate.metric)
        status = status_of(old, new, gate if size >= min_rows else None)
        status = SMALL if status == "not gated" else status
        rows.append(GroupRow(group, old, new, gate, status, size))
    return rows


def worst_group(rows: list[GroupRow], better: str) -> GroupRow | None:
    comparable = [row for row in rows if row.delta is not None and row.status != SMALL]
    return max(comparable, key=lambda row: worsening(row.main, row.pr, better), default=None)
