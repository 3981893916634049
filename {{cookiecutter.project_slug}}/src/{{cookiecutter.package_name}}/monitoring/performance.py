"""The `performance` command: does the served model still score as well as the reviewed one?

Labels that arrived after the predictions (monitoring/labels.py) are scored with the evaluate
stage's own metrics and compared with the reviewed metrics.json under the PR gate's rules and
tolerances (`review.metrics`): a drop the review would have refused is a drop here too. Each
group of every sensitive feature (`evaluate.sensitive_features`, whose values the log holds)
is scored and judged too, under `review.fairness`, exactly as the review judges a PR. Only
metrics computed from predictions alone are monitored: the log holds no probabilities, so
roc_auc is left out and the report says so. The CLI exits 0 when it holds and 3 on a drop,
as `drift` does, so a workflow can decide to retrain.
"""

from __future__ import annotations

import json
import math
import os
from argparse import Namespace
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import UserError
from ..core.fairness import fairness_metrics
from ..core.fairness_gate import FeatureFairness, fairness_section, split_metrics
from ..core.gate import MetricRow, describe, judge_metrics
from ..core.params import PACKAGE, FairnessGate, Params, flatten, load_params
from ..core.paths import METRICS_FILE, PERFORMANCE_REPORT, PERFORMANCE_RESULT
from ..core.scoring import score_predictions
from .labels import Joined, join_labels
from .verdict import conclude

DROPPED = "regressed"


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
    def dropped(self) -> list[str]:
        return [row.name for row in self.rows if row.status == DROPPED] + self.unfair

    def as_json(self) -> dict:
        return {
            "drop": bool(self.dropped),
            "dropped_metrics": self.dropped,
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


def reviewed_metrics(
    path: Path = METRICS_FILE,
) -> tuple[dict[str, float], dict[str, FeatureFairness]]:
    """The reviewed metrics.json: its top-level numbers, and per sensitive feature its groups
    and measures, read as the review reads them."""
    if not path.is_file():
        raise UserError(f"{path} not found: run `make pipeline` (or `make pull-data`) first")
    try:
        tree = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise UserError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(tree, dict):
        raise UserError(f"{path} holds no metrics object")
    return split_metrics(flatten(tree))  # keys joined by dots, as `dvc metrics diff` does


def live_fairness(joined: Joined, columns: list[str], min_rows: int) -> dict[str, FeatureFairness]:
    """Each sensitive feature's groups and measures on the labelled predictions, for the
    features the log holds values of (a log from before they were logged holds none)."""
    logged = joined.features
    present = [column for column in columns if column in logged and logged[column].notna().any()]
    if not present:
        return {}
    tree = fairness_metrics(
        joined.actual, joined.predicted.to_numpy(), joined.features, present, min_rows
    )
    return split_metrics(flatten({"fairness": tree}))[1]


def as_reviewed(
    reviewed: dict[str, FeatureFairness], live: dict[str, FeatureFairness]
) -> dict[str, FeatureFairness]:
    """The reviewed numbers of what the labels could score: a group no label arrived for,
    or a measure too few rows allow, is not a drop (the review would call it missing)."""
    return {
        column: FeatureFairness(
            measures={k: v for k, v in reviewed[column].measures.items() if k in scored.measures},
            groups={k: v for k, v in reviewed[column].groups.items() if k in scored.groups},
        )
        for column, scored in live.items()
        if column in reviewed
    }


def assess(
    params: Params, log_path: Path, labels_source: str, reviewed: Path = METRICS_FILE
) -> PerformanceOutcome:
    """Join, score and judge the live metrics against the reviewed ones."""
    baseline, reviewed_groups = reviewed_metrics(reviewed)
    columns = params.evaluate.sensitive_features
    joined = join_labels(log_path, labels_source, params.data.target, columns)
    if joined.rows < params.performance.min_rows:
        raise UserError(
            f"{joined.rows} labelled predictions ({joined.labels} labels, {joined.unknown_ids} "
            f"with an id not in {log_path}); performance needs at least "
            f"performance.min_rows={params.performance.min_rows} to tell a drop from noise. "
            "Wait for more labels or use a longer log."
        )
    live = {
        name: value
        for name, value in score_predictions(joined.actual, joined.predicted.to_numpy()).items()
        if math.isfinite(value)
    }
    tolerances = {
        name: tolerance for name, tolerance in params.review.metrics.items() if name in live
    }
    rows = judge_metrics(
        {name: baseline[name] for name in tolerances if name in baseline},
        {name: live[name] for name in tolerances},
        tolerances,
    )
    gate = params.review.fairness or FairnessGate()
    groups = live_fairness(joined, columns, gate.min_rows)
    section, unfair = fairness_section(
        list(groups), as_reviewed(reviewed_groups, groups), groups, gate, sides=("reviewed", "live")
    )
    return PerformanceOutcome(
        log=str(log_path),
        labels=labels_source,
        joined=joined,
        rows=rows,
        not_monitored=[name for name in params.review.metrics if name not in live],
        fairness=section,
        unfair=unfair,
        groups=groups,
    )


def number(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def markdown(outcome: PerformanceOutcome) -> str:
    joined = outcome.joined
    if outcome.dropped:
        title = f"## ⚠️ Performance drop in {', '.join(outcome.dropped)}"
    else:
        title = f"## ✅ Performance holds on {len(outcome.rows)} metrics"
    lines = [
        "<!-- mergeship-performance -->",
        title,
        "",
        f"{joined.rows} predictions of `{outcome.log}` ({joined.logged} logged) joined on their "
        f"id with {joined.labels} labels of `{outcome.labels}`; {joined.unknown_ids} labels "
        "had an id the log does not hold.",
        "",
        "| metric | reviewed (metrics.json) | live | Δ | rule | status |",
        "|---|---:|---:|---:|---|---|",
    ]
    for row in outcome.rows:
        delta = "-" if row.delta is None else f"{row.delta:+.4f}"
        mark = "⚠️ dropped" if row.status == DROPPED else row.status
        lines.append(
            f"| {row.name} | {number(row.main)} | {number(row.pr)} | {delta} "
            f"| {describe(row.tolerance)} | {mark} |"
        )
    lines.append("")
    if outcome.not_monitored:
        lines.append(
            f"Not monitored: {', '.join(outcome.not_monitored)} (needs probabilities; the "
            "inference log holds predictions only)."
        )
    if outcome.fairness:
        lines += [outcome.fairness, ""]
    lines.append(
        "A drop is a fall beyond the review's tolerances (params.yaml `review.metrics`, and "
        "`review.fairness` for groups)."
    )
    return "\n".join(lines) + "\n"


def write_prometheus(outcome: PerformanceOutcome, path: Path) -> Path:
    """The verdict and the live metrics as Prometheus text, for the Pushgateway."""
    from prometheus_client.core import GaugeMetricFamily

    from .metrics_push import write_gauges

    drop = GaugeMetricFamily(
        f"{PACKAGE}_performance_drop",
        "1 when the last labelled check fell beyond tolerance",
        value=int(bool(outcome.dropped)),
    )
    live = GaugeMetricFamily(
        f"{PACKAGE}_performance_metric",
        "Metrics of the served model on labelled predictions",
        labels=["metric"],
    )
    for row in outcome.rows:
        if row.pr is not None:
            live.add_metric([row.name], row.pr)
    per_group = GaugeMetricFamily(
        f"{PACKAGE}_performance_group_metric",
        "Metrics of the served model per group",
        labels=["feature", "group", "metric"],
    )
    for column, feature in outcome.groups.items():
        for group, metrics in feature.groups.items():
            for name, value in metrics.items():
                if name != "rows" and math.isfinite(value):
                    per_group.add_metric([str(column), str(group), name], value)
    labelled = GaugeMetricFamily(
        f"{PACKAGE}_performance_labelled_rows",
        "Predictions the last check could score",
        value=outcome.joined.rows,
    )
    return write_gauges(path, [drop, live, per_group, labelled])


def inference_log(given: Path | None, params: Params) -> Path:
    """The log to join: --log, else INFERENCE_LOG, else serve.inference_log (as the service)."""
    named = given or os.environ.get("INFERENCE_LOG") or params.serve.inference_log
    if not named:
        raise UserError(
            "name the inference log to join the labels with: INFERENCE_LOG=<file> "
            "(or serve.inference_log in params.yaml)"
        )
    return Path(named)


def performance_command(args: Namespace) -> int:
    """Report the live metrics; exit 3 on a drop (unless --report-only), and tell a workflow."""
    params = load_params()
    outcome = assess(params, inference_log(args.log, params), args.labels)
    return conclude(
        text=markdown(outcome),
        report=args.output or PERFORMANCE_REPORT,
        result=outcome.as_json(),
        result_file=args.json or PERFORMANCE_RESULT,
        write_gauges=lambda path: write_prometheus(outcome, path),
        flag="dropped",
        failed=outcome.dropped,
        failure="performance drop",
        report_only=args.report_only,
    )
