"""How a drift or performance check ends: a Markdown report, a JSON result, Prometheus gauges
(pushed to a Pushgateway, as Prometheus cannot scrape a short CI job), exit 3 on a bad
verdict (2 is bad input), and a flag in GITHUB_OUTPUT for retrain.yml."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
from argparse import Namespace
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Protocol

from prometheus_client import Metric, push_to_gateway, write_to_textfile
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from ..core.errors import UserError
from ..core.params import PACKAGE
from ..core.paths import DRIFT_RESULT, PERFORMANCE_RESULT
from ..core.reports import publish

BAD_VERDICT_EXIT = 3
TIMEOUT_SECONDS = 10.0


class Outcome(Protocol):
    failed: list[str]  # what failed the check (drifted columns, dropped metrics)

    def markdown(self) -> str: ...
    def as_json(self) -> dict[str, Any]: ...
    def collect(self) -> list[Metric]: ...  # its gauges: a prometheus_client collector


def gauge(name: str, documentation: str, samples: float | dict, *labels: str) -> Metric:
    """`<package>_<name>`: one value, or one per tuple of `labels` values."""
    family = GaugeMetricFamily(f"{PACKAGE}_{name}", documentation, labels=labels)
    for values, value in samples.items() if isinstance(samples, dict) else [((), samples)]:
        family.add_metric(list(values), value)
    return family


def write_gauges(path: Path, collector: Collector) -> Path:
    """Prometheus text, label values escaped, the file replaced whole (no half-read file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), collector)
    return path


def conclude(
    outcome: Outcome, args: Namespace, report: Path, result: Path, flag: str, failure: str
) -> int:
    """Write the report, JSON and gauges, set `flag`; exit 3 on a failure, unless --report-only."""
    text = outcome.markdown()
    publish(text, args.output or report)
    result = args.json or result
    write_gauges(result.with_suffix(".prom"), outcome)  # and the folder they share
    result.write_text(json.dumps(outcome.as_json(), indent=2) + "\n")
    if github_output := os.environ.get("GITHUB_OUTPUT"):
        with open(github_output, "a") as handle:
            handle.write(f"{flag}={'true' if outcome.failed else 'false'}\n")
    print(text)
    if outcome.failed and not args.report_only:
        print(f"error: {failure} in {', '.join(outcome.failed)}", file=sys.stderr)
        return BAD_VERDICT_EXIT
    return 0


def push_metrics(path: Path, check: str) -> str:
    """PUT the gauge file of one check (drift, performance) to the job `<package>_<check>`,
    replacing the job's previous values (a stale PSI or metric must not linger)."""
    gateway = os.environ.get("PUSHGATEWAY_URL", "").rstrip("/")
    if not gateway.startswith(("http://", "https://")):
        raise UserError(
            "set PUSHGATEWAY_URL to the gateway's http(s) URL, e.g. http://pushgateway:9091"
            + (f", not {gateway!r}: it must be an http(s) URL" if gateway else "")
        )
    if not path.is_file():
        raise UserError(f"{path} not found: run `make {check}` (or `make {check}-report`) first")
    try:
        families = list(text_string_to_metric_families(path.read_text()))
    except ValueError as error:  # a UnicodeDecodeError is one too
        problem = f"{path} is not Prometheus text ({error}): run `make {check}` again"
        raise UserError(problem) from error
    url = f"{gateway}/metrics/job/{PACKAGE}_{check}"  # a package name needs no escaping
    try:
        collector = SimpleNamespace(collect=lambda: families)
        push_to_gateway(gateway, f"{PACKAGE}_{check}", collector, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise UserError(f"{url} refused the metrics ({error.code}): {detail}") from error
    except OSError as error:  # URLError is one
        reason = getattr(error, "reason", error)
        raise UserError(f"Pushgateway {gateway} is unreachable ({reason}): is it up?") from error
    return f"pushed {sum(len(family.samples) for family in families)} series of {path} to {url}"


def push_drift_metrics_command(args: Namespace) -> str:
    return push_metrics(DRIFT_RESULT.with_suffix(".prom"), "drift")


def push_performance_metrics_command(args: Namespace) -> str:
    return push_metrics(PERFORMANCE_RESULT.with_suffix(".prom"), "performance")
