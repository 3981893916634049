"""The drift and performance gauges: written to reports/*.prom, and pushed from there to a
Prometheus Pushgateway.

The checks run in a short-lived CI job that Prometheus cannot scrape, so the job pushes
its verdict instead; the alert rules in monitoring/alerts.yaml read it from there. CI pushes
in a step of its own, so the push reads the file the check wrote. prometheus_client writes
the text (every label value escaped, the file replaced atomically) and pushes it; every
failure names the URL and what to do.
"""

from __future__ import annotations

from argparse import Namespace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator

    from prometheus_client import CollectorRegistry, Metric

import os
import urllib.error
import urllib.parse
from pathlib import Path

from ..core.errors import UserError
from ..core.params import PACKAGE
from ..core.paths import DRIFT_RESULT, PERFORMANCE_RESULT

DRIFT_METRICS = DRIFT_RESULT.with_suffix(".prom")
PERFORMANCE_METRICS = PERFORMANCE_RESULT.with_suffix(".prom")
TIMEOUT_SECONDS = 10.0


class Families:
    """A collector of metric families made elsewhere: a check's gauges, or a file's read back."""

    def __init__(self, families: Iterable[Metric]) -> None:
        self.families = list(families)

    def collect(self) -> Iterator[Metric]:
        return iter(self.families)


def registry_of(families: Iterable[Metric]) -> CollectorRegistry:
    from prometheus_client import CollectorRegistry

    registry = CollectorRegistry()
    registry.register(Families(families))
    return registry


def write_gauges(path: Path, families: Iterable[Metric]) -> Path:
    """The families as Prometheus text at `path`, replaced whole: a textfile collector or a
    push never reads half a file."""
    from prometheus_client import write_to_textfile

    path.parent.mkdir(parents=True, exist_ok=True)
    write_to_textfile(str(path), registry_of(families))
    return path


def read_gauges(path: Path, check: str) -> list[Metric]:
    from prometheus_client.parser import text_string_to_metric_families

    try:
        return list(text_string_to_metric_families(path.read_text()))
    except ValueError as error:  # a UnicodeDecodeError is one too
        raise UserError(
            f"{path} is not Prometheus text ({error}): run `make {check}` again"
        ) from error


def gateway_of(base: str) -> str:
    """PUSHGATEWAY_URL without its trailing slash, once it is an http(s) URL."""
    parsed = urllib.parse.urlparse(base)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(
            f"PUSHGATEWAY_URL must be an http(s) URL like http://pushgateway:9091, not {base!r}"
        )
    return base.rstrip("/")


def push_metrics(path: Path, check: str) -> str:
    """PUT the gauge file of one check (drift, performance) to the job `<package>_<check>`,
    replacing the job's previous values (a stale PSI or metric must not linger)."""
    from prometheus_client import push_to_gateway

    base = os.environ.get("PUSHGATEWAY_URL", "")
    if not base:
        raise UserError("set PUSHGATEWAY_URL (e.g. http://pushgateway:9091) to push the metrics")
    if not path.is_file():
        raise UserError(f"{path} not found: run `make {check}` (or `make {check}-report`) first")
    gateway, job = gateway_of(base), f"{PACKAGE}_{check}"
    url = f"{gateway}/metrics/job/{job}"  # a package name needs no escaping in a URL
    families = read_gauges(path, check)
    try:
        push_to_gateway(gateway, job, registry_of(families), timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise UserError(f"{url} refused the metrics ({error.code}): {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(f"Pushgateway {base} is unreachable ({reason}); is it running?") from error
    series = sum(len(family.samples) for family in families)
    return f"pushed {series} series of {path} to {url}"


def push_drift_metrics_command(args: Namespace) -> str:
    return push_metrics(DRIFT_METRICS, "drift")


def push_performance_metrics_command(args: Namespace) -> str:
    return push_metrics(PERFORMANCE_METRICS, "performance")
