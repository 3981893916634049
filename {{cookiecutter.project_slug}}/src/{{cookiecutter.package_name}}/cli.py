"""The project command: one table of commands for DVC stages, make targets, pre-commit and CI.

A handler is named "folder.module:function" and imported only when its command runs, so
`--help` and the light commands start fast. It takes the parsed arguments and returns a
message to print (exit 0) or an exit code (it printed its own output).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from pathlib import Path
from typing import Any

from .core.errors import UserError
from .core.params import PACKAGE
from .core.paths import REVIEW_REPORT

Argument = tuple[tuple[str, ...], dict[str, Any]]


def arg(*flags: str, **options: Any) -> Argument:
    return flags, options


# name: (help, handler, arguments), by moment.
COMMANDS: dict[str, tuple[str, str, tuple[Argument, ...]]] = {
    # pipeline: the DVC stages, in order, and their checks
    "schema": (
        "infer the data contract from the raw data into data/schema.yaml",
        "pipeline.contract:schema_command",
        (),
    ),
    "validate": (
        "check the raw data against the data contract",
        "pipeline.contract:validate_command",
        (),
    ),
    "prepare": ("split the raw data into train and test sets", "pipeline.data:prepare_command", ()),
    "train": ("fit the model and log it to MLflow", "pipeline.train:train_command", ()),
    "evaluate": (
        "score the model on the test set; write metrics and plots",
        "pipeline.evaluate:evaluate_command",
        (),
    ),
    "check": (
        "validate params.yaml and check dvc.yaml agrees with it (make lint, pre-commit)",
        "pipeline.sanity:check_command",
        (),
    ),
    # review: every pull request
    "review": (
        "compare metrics with a base revision; exit 1 on a regression beyond tolerance",
        "review.compare:review_command",
        (
            arg("--base", help="git revision to compare with (default: origin/main, main)"),
            arg("--output", type=Path, default=REVIEW_REPORT, help="Markdown report file"),
            arg(
                "--not-reproduced",
                action="store_true",
                help="say in the report that CI computed nothing: the numbers are the PR's own",
            ),
        ),
    ),
    "check-lock": (
        "fail if the reproduced dvc.lock/metrics.json are uncommitted",
        "review.check_lock:check_lock_command",
        (),
    ),
    "pr-comment": (
        "create or update the PR's one review comment (GH_REPO, PR_NUMBER, GH_TOKEN)",
        "review.comment:pr_comment_command",
        (arg("report", type=Path, help="the Markdown report (reports/review.md)"),),
    ),
    # release: a merge to main
    "verify-review": (
        "fail unless this commit is a merged PR whose review check passed (GH_TOKEN)",
        "release.review_proof:verify_review_command",
        (),
    ),
    "verify-release": (
        "fail unless this commit holds the reviewed model",
        "release.verify:verify_release_command",
        (),
    ),
    "stage-bento": (
        "save the reviewed model for BentoML; print the version",
        "release.bento:stage_bento_command",
        (),
    ),
    "bento-version": (
        "print the bento version: the git commit SHA",
        "release.bento:bento_version_command",
        (),
    ),
    "bento-path": (
        "print the directory of this commit's bento",
        "release.bento:bento_path_command",
        (),
    ),
    "promote": (
        "register the model in MLflow as @champion (MLFLOW_TRACKING_URI)",
        "release.registry:promote_command",
        (),
    ),
    # serving
    "smoke": (
        "check a running service (SERVICE_URL): /readyz and one prediction",
        "serving.smoke:smoke_command",
        (),
    ),
{%- if cookiecutter.monitoring == 'yes' %}
    # monitoring: after release
    "drift": (
        "compare current data with the training data; exit 3 on drift",
        "monitoring.drift:drift_command",
        (
            arg("current", type=Path, help="CSV, Parquet or JSON-lines inference log"),
            arg("--output", type=Path, help="Markdown report (reports/drift.md)"),
            arg("--json", type=Path, help="JSON result (reports/drift.json)"),
            arg("--report-only", action="store_true", help="exit 0 on drift (CI reads it)"),
        ),
    ),
    "push-drift-metrics": (
        "push reports/drift.prom to the Pushgateway at PUSHGATEWAY_URL",
        "monitoring.metrics_push:push_drift_metrics_command",
        (),
    ),
    "performance": (
        "score logged predictions against labels that arrived later; exit 3 on a drop",
        "monitoring.performance:performance_command",
        (
            arg("labels", help="CSV of id,label: a path or an http(s) URL"),
            arg(
                "--log",
                type=Path,
                help="inference log (default: INFERENCE_LOG, else serve.inference_log)",
            ),
            arg("--output", type=Path, help="Markdown report (reports/performance.md)"),
            arg("--json", type=Path, help="JSON result (reports/performance.json)"),
            arg("--report-only", action="store_true", help="exit 0 on a drop (CI reads it)"),
        ),
    ),
    "push-performance-metrics": (
        "push reports/performance.prom to the Pushgateway at PUSHGATEWAY_URL",
        "monitoring.metrics_push:push_performance_metrics_command",
        (),
    ),
    "retrain-pr": (
        "commit retrained outputs on a new branch and open a PR (GH_TOKEN: App token/PAT)",
        "monitoring.retrain:retrain_pr_command",
        (arg("--base", default="main", help="branch the PR targets (default: main)"),),
    ),
{%- endif %}
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PACKAGE, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (summary, _, arguments) in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary)
        for flags, options in arguments:
            command.add_argument(*flags, **options)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    module, _, function = COMMANDS[args.command][1].partition(":")
    try:
        outcome = getattr(import_module(f".{module}", __package__), function)(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if isinstance(outcome, int):
        return outcome
    print(outcome)
    return 0
