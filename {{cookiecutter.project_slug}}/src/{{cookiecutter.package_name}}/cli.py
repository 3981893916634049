"""The project command: one entry point for DVC stages, make targets and CI.

Heavy libraries are imported inside each command, so `--help` and small commands start fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .config import PACKAGE, REVIEW_REPORT, Params, load_params
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


def run_review(params: Params, base: str | None, output: Path) -> int:
    """Print and publish the review; the exit code is the gate."""
    from .review import publish, review

    outcome = review(params, base)
    publish(outcome.markdown, output)
    print(outcome.markdown)
    if outcome.regressions:
        named = ", ".join(outcome.regressions)
        print(f"error: regressed beyond tolerance: {named}", file=sys.stderr)
        return 1
    return 0
{%- if cookiecutter.monitoring == "yes" %}


def run_drift(params: Params, args: argparse.Namespace) -> int:
    """Report drift; exit 3 on drift (unless --report-only), and tell a workflow either way."""
    import os

    from .config import DRIFT_REPORT, DRIFT_RESULT
    from .drift import detect, markdown, write_json, write_prometheus
    from .review import publish

    outcome = detect(params, args.current)
    text = markdown(outcome)
    publish(text, args.output or DRIFT_REPORT)
    result = write_json(outcome, args.json or DRIFT_RESULT)
    write_prometheus(outcome, result.with_suffix(".prom"))
    if github_output := os.environ.get("GITHUB_OUTPUT"):
        with open(github_output, "a") as handle:
            handle.write(f"drifted={'true' if outcome.drifted else 'false'}\n")
    print(text)
    if outcome.drifted and not args.report_only:
        print(f"error: drift in {', '.join(outcome.drifted)}", file=sys.stderr)
        return 3
    return 0
{%- endif %}


def run_check_lock(params: Params) -> str:
    """After CI reproduced the pipeline, the committed lock and metrics must be unchanged."""
    from .config import LOCK_FILE, METRICS_FILE
    from .vcs import uncommitted

    changed = uncommitted([LOCK_FILE, METRICS_FILE])
    if changed:
        raise UserError(
            f"{', '.join(changed)} differ from what this run reproduced: run `make pipeline` "
            "and commit dvc.lock (and metrics.json), so main records the model that was reviewed"
        )
    return "dvc.lock and metrics.json match the reproduced pipeline"


def run_verify_release(params: Params) -> str:
    from .release import verify_pipeline

    return verify_pipeline()


def run_stage_bento(params: Params) -> str:
    from .release import stage_bento

    return stage_bento()


def run_bento_version(params: Params) -> str:
    from .release import bento_version

    return bento_version()


def run_bento_path(params: Params) -> str:
    from .release import bento_path

    return bento_path()


def run_promote(params: Params) -> str:
    from .registry import promote

    return promote(params)


def run_smoke(params: Params) -> str:
    from .smoke import smoke

    return smoke(params)
{%- if cookiecutter.monitoring == "yes" %}


def run_push_drift_metrics(params: Params) -> str:
    from .metrics_push import push_drift_metrics

    return push_drift_metrics()
{%- endif %}


COMMANDS: dict[str, tuple[Callable[[Params], str], str]] = {
    "schema": (run_schema, "infer the data contract from the raw data into data/schema.yaml"),
    "validate": (run_validate, "check the raw data against the data contract"),
    "prepare": (run_prepare, "split the raw data into train and test sets"),
    "train": (run_train, "fit the model and log it to MLflow"),
    "evaluate": (run_evaluate, "score the model on the test set; write metrics and plots"),
    "check": (run_check, "check params.yaml and dvc.yaml agree (used by pre-commit)"),
    "check-lock": (run_check_lock, "fail if the reproduced dvc.lock/metrics.json are uncommitted"),
    "verify-release": (run_verify_release, "fail unless this commit holds the reviewed model"),
    "stage-bento": (run_stage_bento, "save the reviewed model for BentoML; print the version"),
    "bento-version": (run_bento_version, "print the bento version: the git commit SHA"),
    "bento-path": (run_bento_path, "print the directory of this commit's bento"),
    "promote": (run_promote, "register the model in MLflow as @champion (MLFLOW_TRACKING_URI)"),
    "smoke": (run_smoke, "check a running service (SERVICE_URL): /readyz and one prediction"),
{%- if cookiecutter.monitoring == "yes" %}
    "push-drift-metrics": (
        run_push_drift_metrics,
        "push reports/drift.prom to the Pushgateway at PUSHGATEWAY_URL",
    ),
{%- endif %}
}
REVIEW_HELP = "compare metrics with a base revision; exit 1 on a regression beyond tolerance"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PACKAGE, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, (_, help_text) in COMMANDS.items():
        commands.add_parser(name, help=help_text, description=help_text)
    review = commands.add_parser("review", help=REVIEW_HELP, description=REVIEW_HELP)
    review.add_argument("--base", help="git revision to compare with (default: origin/main, main)")
    review.add_argument("--output", type=Path, default=REVIEW_REPORT, help="Markdown report file")
{%- if cookiecutter.monitoring == "yes" %}
    drift_help = "compare current data with the training data; exit 3 on drift"
    drift = commands.add_parser("drift", help=drift_help, description=drift_help)
    drift.add_argument("current", type=Path, help="CSV, Parquet or JSON-lines inference log")
    drift.add_argument("--output", type=Path, help="Markdown report (reports/drift.md)")
    drift.add_argument("--json", type=Path, help="JSON result (reports/drift.json)")
    drift.add_argument("--report-only", action="store_true", help="exit 0 on drift (CI reads it)")
    pr_help = "commit retrained outputs on a new branch and open a PR (GH_TOKEN: App token/PAT)"
    retrain = commands.add_parser("retrain-pr", help=pr_help, description=pr_help)
    retrain.add_argument("--base", default="main", help="branch the PR targets (default: main)")
{%- endif %}
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        params = load_params()
        if args.command == "review":
            return run_review(params, args.base or None, args.output)
{%- if cookiecutter.monitoring == "yes" %}
        if args.command == "drift":
            return run_drift(params, args)
        if args.command == "retrain-pr":
            from .retrain import open_pull_request

            print(open_pull_request(params, args.base))
            return 0
{%- endif %}
        handler, _ = COMMANDS[args.command]
        print(handler(params))
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    return 0
