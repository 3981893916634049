"""The `performance` command: does the served model still score as well as the reviewed one?
Late labels (labels.py) are scored with the evaluate stage's metrics and judged against the
reviewed metrics.json by the PR gate's rules (`review.metrics`, `review.fairness`). The log
holds no probabilities, so metrics needing them (roc_auc) are left out, and said so."""

from __future__ import annotations

import math
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import Metric

from ..core.errors import UserError
from ..core.fairness_gate import FeatureFairness, fairness_section, split_metrics
from ..core.gate import MetricRow, judge_metrics, metric_table
from ..core.inference_log import log_path
from ..core.params import FairnessGate, Params, flatten, load_params
from ..core.paths import METRICS_FILE, PERFORMANCE_REPORT, PERFORMANCE_RESULT
from ..core.reports import read_json
from ..core.scoring import fairness_metrics, score_predictions
from .labels import Joined, join_labels
from .verdict import conclude, gauge

DROPPED = "regressed"
GROUP_LABELS = ("feature", "group", "metric")
SERVED = "Metrics of the served model"


@dataclass(frozen=True)
class PerformanceOutcome:
    log: str
    labels: str
    joined: Joined
    rows: list[MetricRow]
    not_monitored: list[str]  # gated in review.metrics, not computable from predictions
    fairness: str  # the Fairness section, reviewed against live, as the review shows it
    unfair: list[str]  # what it found, named as the review names it: f1_macro[region=north]
    groups: dict[str, FeatureFairness]  # live, per sensitive feature

    @property
    def failed(self) -> list[str]:
        return [row.name for row in self.rows if row.status == DROPPED] + self.unfair

    def as_json(self) -> dict:
        return {
            "drop": bool(self.failed),
            "dropped_metrics": self.failed,
            "log": self.log,
            "labels": self.labels,
            "rows": {
                "labelled": self.joined.rows,
                "labels": self.joined.labels,
                "logged": self.joined.logged,
                "unknown_ids": self.joined.unknown_ids,
            },
            "metrics": {
                row.name: {"reviewed": row.main, "live": row.pr, "status": row.status}
                for row in self.rows
            },
            "not_monitored": self.not_monitored,
            "fairness_regressions": self.unfair,
        }

    def markdown(self) -> str:
        joined = self.joined
        if self.failed:
            title = f"⚠️ Performance drop in {', '.join(self.failed)}"
        else:
            title = f"✅ Performance holds on {len(self.rows)} metrics"
        lines = [
            "<!-- mergeship-performance -->",
            f"## {title}",
            "",
            f"{joined.rows} predictions of `{self.log}` ({joined.logged} logged) joined on their "
            f"id with {joined.labels} labels of `{self.labels}`; {joined.unknown_ids} labels "
            "had an id the log does not hold.",
            "",
            metric_table(
                self.rows,
                ["metric", "reviewed (metrics.json)", "live", "Δ", "rule", "status"],
                mark=lambda status: "⚠️ dropped" if status == DROPPED else status,
            ),
            "",
        ]
        if self.not_monitored:
            lines.append(
                f"Not monitored: {', '.join(self.not_monitored)} (needs probabilities; the "
                "inference log holds predictions only)."
            )
        if self.fairness:
            lines += [self.fairness, ""]
        lines.append(
            "A drop is a fall beyond the review's tolerances (params.yaml `review.metrics`, and "
            "`review.fairness` for groups)."
        )
        return "\n".join(lines) + "\n"

    def collect(self) -> list[Metric]:
        live = {(row.name,): row.pr for row in self.rows if row.pr is not None}
        per_group = {
            (str(column), str(group), name): value
            for column, feature in self.groups.items()
            for group, metrics in feature.groups.items()
            for name, value in metrics.items()
            if name != "rows" and math.isfinite(value)
        }
        drop, rows = int(bool(self.failed)), self.joined.rows
        return [
            gauge("performance_drop", "1 when the last labelled check fell beyond tolerance", drop),
            gauge("performance_metric", f"{SERVED} on labelled predictions", live, "metric"),
            gauge("performance_group_metric", f"{SERVED} per group", per_group, *GROUP_LABELS),
            gauge("performance_labelled_rows", "Predictions the last check could score", rows),
        ]


def as_reviewed(reviewed: FeatureFairness, live: FeatureFairness) -> FeatureFairness:
    """The reviewed numbers of what the labels could score: a group no label arrived for,
    or a measure too few rows allow, is not a drop (the review would call it missing)."""
    return FeatureFairness(
        measures={k: v for k, v in reviewed.measures.items() if k in live.measures},
        groups={k: v for k, v in reviewed.groups.items() if k in live.groups},
    )


def assess(
    params: Params, log: Path, labels_source: str, reviewed: Path = METRICS_FILE
) -> PerformanceOutcome:
    tree = read_json(reviewed)
    if not isinstance(tree, dict):
        raise UserError(f"{reviewed} holds no metrics object")
    # Read as the review reads them: keys joined by dots, as `dvc metrics diff`.
    baseline, reviewed_groups = split_metrics(flatten(tree))
    columns = params.evaluate.sensitive_features
    joined = join_labels(log, labels_source, params.data.target, columns)
    if joined.rows < params.performance.min_rows:
        raise UserError(
            f"{joined.rows} labelled predictions ({joined.labels} labels, {joined.unknown_ids} "
            f"with an id not in {log}); performance needs at least "
            f"performance.min_rows={params.performance.min_rows} to tell a drop from noise. "
            "Wait for more labels or use a longer log."
        )
    predicted = joined.predicted.to_numpy()
    scored = score_predictions(joined.actual, predicted)
    live = {name: value for name, value in scored.items() if math.isfinite(value)}
    gated = {name: live[name] for name in params.review.metrics if name in live}
    reviewed_gated = {name: value for name, value in baseline.items() if name in gated}
    rows = judge_metrics(reviewed_gated, gated, params.review.metrics)
    gate = params.review.fairness or FairnessGate()
    logged = joined.features  # an old log holds no values of the sensitive features: skip them
    present = [column for column in columns if column in logged and logged[column].notna().any()]
    live_tree = fairness_metrics(joined.actual, predicted, logged, present, gate.min_rows)
    groups = split_metrics(flatten({"fairness": live_tree}))[1]
    scorable = {
        column: as_reviewed(feature, groups[column])
        for column, feature in reviewed_groups.items()
        if column in groups
    }
    section, unfair = fairness_section(list(groups), scorable, groups, gate, ("reviewed", "live"))
    not_monitored = [name for name in params.review.metrics if name not in live]
    return PerformanceOutcome(
        log=str(log),
        labels=labels_source,
        joined=joined,
        rows=rows,
        not_monitored=not_monitored,
        fairness=section,
        unfair=unfair,
        groups=groups,
    )


def performance_command(args: Namespace) -> int:
    """Report the live metrics; exit 3 on a drop (unless --report-only), and tell a workflow."""
    params = load_params()
    log = args.log or log_path(params.serve)  # the log the service writes
    if log is None:
        raise UserError(
            "name the inference log to join the labels with: INFERENCE_LOG=<file> "
            "(or serve.inference_log in params.yaml)"
        )
    outcome = assess(params, log, args.labels)
    return conclude(
        outcome, args, PERFORMANCE_REPORT, PERFORMANCE_RESULT, "dropped", "performance drop"
    )
