"""The project command: one entry point for DVC stages, make targets and CI.

Heavy libraries are imported inside each command, so `--help` and small commands start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from .config import PACKAGE, Params, load_params
from .errors import UserError


def run_schema(params: Params) -> str:
    from .contract import write_contract

    return f"wrote the data contract to {write_contract(params)}; review and tighten it"


def run_validate(params: Params) -> str:
    from .contract import validate

    report = validate(params)
    return f"{report['source']}: {report['rows']} rows match the data contract"


def run_prepare(params: Params) -> str:
    from .data import prepare

    train_rows, test_rows = prepare(params)
    return f"split into {train_rows} training and {test_rows} test rows"


def run_train(params: Params) -> str:
    from .train import train

    run = train(params)
    return (
        f"trained and logged MLflow run {run['run_id']} (model version {run['registered_version']})"
    )


def run_evaluate(params: Params) -> str:
    from .evaluate import evaluate

    metrics = evaluate(params)
    return json.dumps({k: round(v, 4) for k, v in metrics.items() if not isinstance(v, dict)})


def run_check(params: Params) -> str:
    from .sanity import pipeline_problems

    problems = pipeline_problems()
    if problems:
        raise UserError("\n".join(problems))
    return "params.yaml and dvc.yaml are consistent"


COMMANDS: dict[str, tuple[Callable[[Params], str], str]] = {
    "schema": (run_schema, "infer the data contract from the raw data into data/schema.yaml"),
    "validate": (run_validate, "check the raw data against the data contract"),
    "prepare": (run_prepare, "split the raw data into train and test sets"),
    "train": (run_train, "fit the model and log it to MLflow"),
    "evaluate": (run_evaluate, "score the model on the test set; write metrics and plots"),
    "check": (run_check, "check params.yaml and dvc.yaml agree (used by pre-commit)"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PACKAGE, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text, description=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler, _ = COMMANDS[args.command]
    try:
        print(handler(load_params()))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
