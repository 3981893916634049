"""The monitoring commands, registered with the CLI in this one place."""

from __future__ import annotations

from pathlib import Path

from ..commands import Command, argument

COMMANDS: tuple[Command, ...] = (
    Command(
        "drift",
        "compare current data with the training data; exit 3 on drift",
        "monitoring.drift:drift_command",
        (
            argument("current", type=Path, help="CSV, Parquet or JSON-lines inference log"),
            argument("--output", type=Path, help="Markdown report (reports/drift.md)"),
            argument("--json", type=Path, help="JSON result (reports/drift.json)"),
            argument("--report-only", action="store_true", help="exit 0 on drift (CI reads it)"),
        ),
    ),
    Command(
        "push-drift-metrics",
        "push reports/drift.prom to the Pushgateway at PUSHGATEWAY_URL",
        "monitoring.metrics_push:push_drift_metrics_command",
    ),
    Command(
        "performance",
        "score logged predictions against labels that arrived later; exit 3 on a drop",
        "monitoring.performance:performance_command",
        (
            argument("labels", help="CSV of id,label: a path or an http(s) URL"),
            argument(
                "--log",
                type=Path,
                help="inference log (default: INFERENCE_LOG, else serve.inference_log)",
            ),
            argument("--output", type=Path, help="Markdown report (reports/performance.md)"),
            argument("--json", type=Path, help="JSON result (reports/performance.json)"),
            argument("--report-only", action="store_true", help="exit 0 on a drop (CI reads it)"),
        ),
    ),
    Command(
        "push-performance-metrics",
        "push reports/performance.prom to the Pushgateway at PUSHGATEWAY_URL",
        "monitoring.metrics_push:push_performance_metrics_command",
    ),
    Command(
        "retrain-pr",
        "commit retrained outputs on a new branch and open a PR (GH_TOKEN: App token/PAT)",
        "monitoring.retrain:retrain_pr_command",
        (argument("--base", default="main", help="branch the PR targets (default: main)"),),
    ),
)
