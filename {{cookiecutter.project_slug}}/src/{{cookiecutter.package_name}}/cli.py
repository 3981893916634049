"""The project command: one entry point for DVC stages, make targets, pre-commit and CI.

Every command is declared once below, by moment; the monitoring package declares its own in
monitoring/commands.py, found when that package is present.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from .commands import Command, argument
from .config import PACKAGE, REVIEW_REPORT
from .errors import UserError

COMMANDS: tuple[Command, ...] = (
    # pipeline: the DVC stages, in order, and their checks
    Command(
        "schema",
        "infer the data contract from the raw data into data/schema.yaml",
        "pipeline.contract:schema_command",
    ),
    Command(
        "validate",
        "check the raw data against the data contract",
        "pipeline.contract:validate_command",
    ),
    Command(
        "prepare", "split the raw data into train and test sets", "pipeline.data:prepare_command"
    ),
    Command("train", "fit the model and log it to MLflow", "pipeline.train:train_command"),
    Command(
        "evaluate",
        "score the model on the test set; write metrics and plots",
        "pipeline.evaluate:evaluate_command",
    ),
    Command(
        "check",
        "validate params.yaml and check dvc.yaml agrees with it (make lint, pre-commit)",
        "pipeline.sanity:check_command",
    ),
    # review: every pull request
    Command(
        "review",
        "compare metrics with a base revision; exit 1 on a regression beyond tolerance",
        "review.compare:review_command",
        (
            argument("--base", help="git revision to compare with (default: origin/main, main)"),
            argument("--output", type=Path, default=REVIEW_REPORT, help="Markdown report file"),
            argument(
                "--not-reproduced",
                action="store_true",
                help="say in the report that CI computed nothing: the numbers are the PR's own",
            ),
        ),
    ),
    Command(
        "check-lock",
        "fail if the reproduced dvc.lock/metrics.json are uncommitted",
        "review.check_lock:check_lock_command",
    ),
    Command(
        "pr-comment",
        "create or update the PR's one review comment (GH_REPO, PR_NUMBER, GH_TOKEN)",
        "review.comment:pr_comment_command",
        (argument("report", type=Path, help="the Markdown report (reports/review.md)"),),
    ),
    # release: a merge to main
    Command(
        "verify-review",
        "fail unless this commit is a merged PR whose review check passed (GH_TOKEN)",
        "release.review_proof:verify_review_command",
    ),
    Command(
        "verify-release",
        "fail unless this commit holds the reviewed model",
        "release.verify:verify_release_command",
    ),
    Command(
        "stage-bento",
        "save the reviewed model for BentoML; print the version",
        "release.bento:stage_bento_command",
    ),
    Command(
        "bento-version",
        "print the bento version: the git commit SHA",
        "release.bento:bento_version_command",
    ),
    Command(
        "bento-path",
        "print the directory of this commit's bento",
        "release.bento:bento_path_command",
    ),
    Command(
        "promote",
        "register the model in MLflow as @champion (MLFLOW_TRACKING_URI)",
        "release.registry:promote_command",
    ),
    # serving
    Command(
        "smoke",
        "check a running service (SERVICE_URL): /readyz and one prediction",
        "serving.smoke:smoke_command",
    ),
)


def all_commands() -> tuple[Command, ...]:
    """The core commands, plus the monitoring package's when the project has it."""
    extra = f"{PACKAGE}.monitoring"
    if find_spec(extra) is None:
        return COMMANDS
    return COMMANDS + import_module(f"{extra}.commands").COMMANDS


def build_parser(commands: Sequence[Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PACKAGE, description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    for command in commands:
        command.add_to(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    commands = {command.name: command for command in all_commands()}
    args = build_parser(list(commands.values())).parse_args(argv)
    try:
        return commands[args.command].run(args)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
