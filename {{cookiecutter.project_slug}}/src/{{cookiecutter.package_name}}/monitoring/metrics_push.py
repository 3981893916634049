"""Ship the drift and performance gauges (reports/*.prom) to a Prometheus Pushgateway.

The checks run in a short-lived CI job that Prometheus cannot scrape, so the job pushes
its verdict instead; the alert rules in monitoring/alerts.yaml read it from there. Only the
standard library talks HTTP, and every failure names the URL and what to do.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.parse
import urllib.request
from argparse import Namespace
from pathlib import Path

from ..core.errors import UserError
from ..core.params import PACKAGE
from ..core.paths import DRIFT_RESULT, PERFORMANCE_RESULT

DRIFT_METRICS = DRIFT_RESULT.with_suffix(".prom")
PERFORMANCE_METRICS = PERFORMANCE_RESULT.with_suffix(".prom")
TEXT_FORMAT = "text/plain; version=0.0.4"
TIMEOUT_SECONDS = 10.0


def grouping_url(base: str, job: str) -> str:
    """The Pushgateway's URL for one job's group: `<base>/metrics/job/<job>`."""
    parsed = urllib.parse.urlparse(base)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserError(
            f"PUSHGATEWAY_URL must be an http(s) URL like http://pushgateway:9091, not {base!r}"
        )
    return f"{base.rstrip('/')}/metrics/job/{urllib.parse.quote(job, safe='')}"


def push_metrics(path: Path, check: str) -> str:
    """PUT the gauge file of one check (drift, performance) to the job `<package>_<check>`,
    replacing the job's previous values (a stale PSI or metric must not linger)."""
    base = os.environ.get("PUSHGATEWAY_URL", "")
    if not base:
        raise UserError("set PUSHGATEWAY_URL (e.g. http://pushgateway:9091) to push the metrics")
    if not path.is_file():
        raise UserError(f"{path} not found: run `make {check}` (or `make {check}-report`) first")
    url = grouping_url(base, f"{PACKAGE}_{check}")
    body = path.read_bytes()
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": TEXT_FORMAT}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise UserError(f"{url} refused the metrics ({error.code}): {detail}") from error
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise UserError(f"Pushgateway {base} is unreachable ({reason}); is it running?") from error
    return f"pushed {len(body.splitlines())} lines of {path} to {url} ({status})"


def push_drift_metrics_command(args: Namespace) -> str:
    return push_metrics(DRIFT_METRICS, "drift")


def push_performance_metrics_command(args: Namespace) -> str:
    return push_metrics(PERFORMANCE_METRICS, "performance")
