"""The project command, for DVC stages, make targets, pre-commit and CI. `<name>_command` in
the module COMMANDS names is imported only when it runs, so `--help` starts fast; it returns
a message to print (exit 0) or an exit code."""

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

# name: (module, help), by moment.
COMMANDS = {
    # pipeline: the DVC stages, in order, and their checks
    "schema": ("pipeline.contract", "infer the data contract (data/schema.yaml) from the data"),
    "validate": ("pipeline.contract", "check the raw data against the data contract"),
    "prepare": ("pipeline.data", "split the raw data into train and test sets"),
    "train": ("pipeline.train", "fit the model and log it to MLflow"),
    "evaluate": ("pipeline.evaluate", "score the model on the test set; write metrics and plots"),
    "check": ("pipeline.sanity", "validate params.yaml and check dvc.yaml agrees with it"),
    "pull-inputs": ("pipeline.reproduce", "pull only the raw data (.dvc files), no stage output"),
    "reproduce": ("pipeline.reproduce", "CI: delete every stage output, recompute them all"),
    # review: every pull request
    "review": ("review.compare", "compare metrics with a base revision; exit 1 on a regression"),
    "check-lock": ("review.check_lock", "fail if the reproduced dvc.lock/metrics.json differ"),
    "pr-comment": ("review.comment", "post or update the PR's one review comment (GH_TOKEN)"),
    # release: a merge to main
    "protect-environments": ("release.environments", "release, retrain, production: main only"),
    "verify-review": ("release.review_proof", "fail unless a merged PR's review passed here"),
    "verify-release": ("release.review_proof", "fail unless this commit holds the reviewed model"),
    "stage-bento": ("release.bento", "save the reviewed model for BentoML; print the version"),
    "bento-version": ("release.bento", "print the bento version: the git commit SHA"),
    "bento-path": ("release.bento", "print the directory of this commit's bento"),
    "promote": ("release.registry", "register the model in MLflow as @champion"),
    "model-card": ("release.model_card", "write the model card, build/release/model_card.md"),
    "check-model-card": ("release.model_card", "fail if a card number is not metrics.json's"),
    "publish-model-card": ("release.model_card", "check the card; attach it to the release"),
    "deployments": ("release.deployments", "list production's deployments: what, when, status"),
    "deploy-record": ("release.deployments", "record a deployment in progress; print its id"),
    "deploy-status": ("release.deployments", "set a deployment's outcome: success or failure"),
    "rollback-plan": ("release.deployments", "choose the deployed release to return to"),
    "rollback-record": ("release.deployments", "record the rollback to the planned release"),
    "rollback-finish": ("release.deployments", "move @champion back; record the outcome"),
    "rollback": ("release.deployments", "return production to an earlier release, unrebuilt"),
    # serving
    "smoke": ("serving.smoke", "check a running service (SERVICE_URL): ready, one prediction"),
{%- if cookiecutter.monitoring == 'yes' %}
    # monitoring: after release
    "drift": ("monitoring.drift", "compare current data with the training data; exit 3 on drift"),
    "push-drift-metrics": ("monitoring.verdict", "push reports/drift.prom (PUSHGATEWAY_URL)"),
    "performance": ("monitoring.performance", "score logged predictions on late labels"),
    "push-performance-metrics": ("monitoring.verdict", "push reports/performance.prom"),
    "retrain-pr": ("monitoring.retrain", "commit retrained outputs on a branch and open a PR"),
{%- endif %}
}


def arg(*flags: str, **options: Any) -> tuple[tuple[str, ...], dict[str, Any]]:
    return flags, options


LAST_RELEASE = arg("--base", help="the last release's revision (default: HEAD~1)")
STATE = arg("--state", choices=("success", "failure"), required=True, help="the deploy's outcome")
TO = arg("--to", default="", help="commit SHA or image digest (default: the last good one)")
REASON = arg("--reason", required=True, help="why: kept in the rollback's record")
REPORT_ONLY = arg("--report-only", action="store_true", help="exit 0 on a bad verdict (CI)")
ARGUMENTS = {
    "review": (
        arg("--base", help="git revision to compare with (default: origin/main, main)"),
        arg("--output", type=Path, default=REVIEW_REPORT, help="Markdown report file"),
        arg("--not-reproduced", action="store_true", help="say CI computed none of the numbers"),
    ),
    "model-card": (LAST_RELEASE,),
    "publish-model-card": (LAST_RELEASE,),
    "deploy-record": (
        arg("--image", required=True, help="the image by digest (name@sha256:...)"),
        arg("--attestation", default="", help="the provenance attestation's URL"),
        arg("--model-version", default="", help="the MLflow model version promote chose"),
    ),
    "deploy-status": (arg("--id", type=int, required=True, help="the deployment id"), STATE),
    "rollback-plan": (
        TO,
        arg("--replacing", default="", help="the digest to move away from (default: serving)"),
    ),
    "rollback-record": (REASON,),
    "rollback-finish": (STATE,),
    "rollback": (TO, REASON, arg("--replacing", default="", help=argparse.SUPPRESS)),
    "pr-comment": (
        arg("folder", type=Path, nargs="?", default=Path("reports"), help="review.md's folder"),
    ),
{%- if cookiecutter.monitoring == 'yes' %}
    "drift": (
        arg("current", type=Path, help="CSV, Parquet or JSON-lines inference log"),
        arg("--output", type=Path, help="Markdown report (reports/drift.md)"),
        arg("--json", type=Path, help="JSON result (reports/drift.json)"),
        REPORT_ONLY,
    ),
    "performance": (
        arg("labels", help="CSV of id,label: a path or an http(s) URL"),
        arg("--log", type=Path, help="inference log (INFERENCE_LOG, else serve.inference_log)"),
        arg("--output", type=Path, help="Markdown report (reports/performance.md)"),
        arg("--json", type=Path, help="JSON result (reports/performance.json)"),
        REPORT_ONLY,
    ),
    "retrain-pr": (arg("--base", default="main", help="branch the PR targets (default: main)"),),
{%- endif %}
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PACKAGE, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, summary) in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary)
        for flags, options in ARGUMENTS.get(name, ()):
            command.add_argument(*flags, **options)
    args = parser.parse_args(argv)
    module = import_module(f".{COMMANDS[args.command][0]}", __package__)
    try:
        outcome = getattr(module, f"{args.command.replace('-', '_')}_command")(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    if isinstance(outcome, int):
        return outcome
    print(outcome)
    return 0
