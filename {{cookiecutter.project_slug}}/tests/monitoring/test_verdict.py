"""The drift and performance gauges: Prometheus text that reads back exactly, even for names
that need escaping; pushed to a Pushgateway; every way they cannot be is a clear error."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.fairness_gate import (
    FeatureFairness,
)
from {{ cookiecutter.package_name }}.core.gate import (
    MetricRow,
)
from {{ cookiecutter.package_name }}.core.params import (
    PACKAGE,
    DriftParams,
)
from {{ cookiecutter.package_name }}.monitoring.drift import (
    ColumnDrift,
    Comparison,
    DriftOutcome,
)
from {{ cookiecutter.package_name }}.monitoring.labels import (
    Joined,
)
from {{ cookiecutter.package_name }}.monitoring.performance import (
    PerformanceOutcome,
)
from {{ cookiecutter.package_name }}.monitoring.verdict import (
    push_metrics,
    write_gauges,
)

# As the checks write it (prometheus_client's text), so the push sends it byte for byte.
GAUGE = (
    f"# HELP {PACKAGE}_drift_detected 1 when the last drift check found a shift\n"
    f"# TYPE {PACKAGE}_drift_detected gauge\n"
    f"{PACKAGE}_drift_detected 1.0\n"
)
AWKWARD = 'a "quoted" back\\slash and a\nnewline'  # each needs escaping in a label value


def families(path: Path) -> dict[str, tuple[str, str, list[tuple[dict[str, str], float]]]]:
    """The file parsed back: per metric, its type, help and (labels, value) samples."""
    return {
        family.name: (
            family.type,
            family.documentation,
            [(sample.labels, sample.value) for sample in family.samples],
        )
        for family in text_string_to_metric_families(path.read_text())
    }


class Gateway(HTTPServer):
    """A loopback HTTP server that records what it receives and answers with `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[str, str, str, bytes]] = []
        super().__init__(("127.0.0.1", 0), Recorder)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Recorder(BaseHTTPRequestHandler):
    def do_PUT(self) -> None:  # the name http.server dispatches PUT requests to
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append((self.command, self.path, self.headers["Content-Type"], body))
        self.send_response(self.server.status)
        self.end_headers()
        self.wfile.write(b"bad metric" if self.server.status >= 400 else b"")

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def gateway(request):
    server = Gateway(getattr(request, "param", 200))
    # A short poll interval: shutdown() waits for the loop's next poll (0.5 s by default).
    thread = threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def gauge(tmp_path: Path) -> Path:
    path = tmp_path / "drift.prom"
    path.write_text(GAUGE)
    return path


@pytest.mark.parametrize("check", ["drift", "performance"])
def test_the_gauge_replaces_the_jobs_group_on_the_gateway(check, gateway, gauge, monkeypatch):
    monkeypatch.setenv("PUSHGATEWAY_URL", gateway.url + "/")
    message = push_metrics(gauge, check)
    method, path, content_type, body = gateway.received[0]
    assert (method, path) == ("PUT", f"/metrics/job/{PACKAGE}_{check}")
    assert content_type.startswith("text/plain") and body == GAUGE.encode()
    assert f"{gateway.url}/metrics/job/{PACKAGE}_{check}" in message


@pytest.mark.parametrize("gateway", [400], indirect=True)
def test_a_refused_push_names_the_status_and_the_gateways_reason(gateway, gauge, monkeypatch):
    monkeypatch.setenv("PUSHGATEWAY_URL", gateway.url)
    with pytest.raises(UserError, match=r"refused the metrics \(400\): bad metric"):
        push_metrics(gauge, "drift")


def test_an_unreachable_gateway_is_named(gauge, monkeypatch):
    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PUSHGATEWAY_URL", f"http://127.0.0.1:{port}")
    with pytest.raises(UserError, match=rf"127.0.0.1:{port} is unreachable"):
        push_metrics(gauge, "drift")


@pytest.mark.parametrize(
    ("url", "problem"),
    [("", "set PUSHGATEWAY_URL"), ("pushgateway:9091", "must be an http")],
)
def test_a_missing_or_malformed_url_is_refused_before_any_request(url, problem, gauge, monkeypatch):
    monkeypatch.setenv("PUSHGATEWAY_URL", url)
    with pytest.raises(UserError, match=problem):
        push_metrics(gauge, "drift")


@pytest.mark.parametrize("check", ["drift", "performance"])
def test_a_missing_gauge_file_says_to_run_the_check(check, tmp_path, monkeypatch):
    monkeypatch.setenv("PUSHGATEWAY_URL", "http://127.0.0.1:9091")
    with pytest.raises(UserError, match=f"run `make {check}`"):
        push_metrics(tmp_path / f"{check}.prom", check)


def test_a_drift_gauge_keeps_a_column_name_that_needs_escaping(tmp_path):
    columns = [
        ColumnDrift(AWKWARD, "categorical", Comparison(psi=0.42), 0.0, 0.0, ["PSI 0.420 >= 0.2"]),
        ColumnDrift("age", "numeric", Comparison(psi=0.01), 0.0, 0.0),
        ColumnDrift("city", "categorical", None, 0.0, None, ["missing from the current data"]),
    ]
    outcome = DriftOutcome("now.csv", 100, 100, columns, [], DriftParams())
    path = write_gauges(tmp_path / "reports" / "drift.prom", outcome)
    assert families(path) == {
        f"{PACKAGE}_drift_detected": (
            "gauge",
            "1 when the last drift check found a shift",
            [({}, 1.0)],
        ),
        f"{PACKAGE}_drift_psi": (
            "gauge",
            "PSI of each column against the training data",
            [({"column": AWKWARD}, 0.42), ({"column": "age"}, 0.01)],
        ),
    }
    assert [entry.name for entry in path.parent.iterdir()] == ["drift.prom"]  # no temporary left


def test_a_performance_gauge_keeps_feature_and_group_names_that_need_escaping(tmp_path):
    group = {"accuracy": 0.5, "rows": 2.0, "f1": float("nan")}  # rows and NaN: not gauges
    joined = Joined(pd.Series([1, 0, 1]), pd.Series([1, 1, 1]), pd.DataFrame(), 3, 4, 0)
    outcome = PerformanceOutcome(
        log="log.jsonl",
        labels="labels.csv",
        joined=joined,
        rows=[
            MetricRow("accuracy", 0.9, 0.67, None, "regressed"),
            MetricRow("f1", 0.8, None, None, "missing"),
        ],
        not_monitored=[],
        fairness="",
        unfair=[],
        groups={AWKWARD: FeatureFairness(groups={AWKWARD: group})},
    )
    gauges = families(write_gauges(tmp_path / "performance.prom", outcome))
    assert gauges == {
        f"{PACKAGE}_performance_drop": (
            "gauge",
            "1 when the last labelled check fell beyond tolerance",
            [({}, 1.0)],
        ),
        f"{PACKAGE}_performance_metric": (
            "gauge",
            "Metrics of the served model on labelled predictions",
            [({"metric": "accuracy"}, 0.67)],
        ),
        f"{PACKAGE}_performance_group_metric": (
            "gauge",
            "Metrics of the served model per group",
            [({"feature": AWKWARD, "group": AWKWARD, "metric": "accuracy"}, 0.5)],
        ),
        f"{PACKAGE}_performance_labelled_rows": (
            "gauge",
            "Predictions the last check could score",
            [({}, 3.0)],
        ),
    }


def test_a_written_gauge_is_pushed_byte_for_byte(gateway, tmp_path, monkeypatch):
    columns = [ColumnDrift(AWKWARD, "numeric", Comparison(psi=0.3), 0.0, 0.0, ["PSI"])]
    outcome = DriftOutcome("now.csv", 100, 100, columns, [], DriftParams())
    path = write_gauges(tmp_path / "drift.prom", outcome)
    monkeypatch.setenv("PUSHGATEWAY_URL", gateway.url)
    assert "pushed 2 series" in push_metrics(path, "drift")
    assert gateway.received[0][3] == path.read_bytes()


def test_a_hand_written_gauge_is_pushed_as_the_same_series(gateway, tmp_path, monkeypatch):
    path = tmp_path / "drift.prom"
    psi = f"{PACKAGE}_drift_psi" + '{column="x"} 0.5'  # no doubled braces: Jinja
    path.write_text(f"{psi}\n{PACKAGE}_drift_detected 1\n")
    monkeypatch.setenv("PUSHGATEWAY_URL", gateway.url)
    push_metrics(path, "drift")
    pushed = tmp_path / "pushed.prom"
    pushed.write_bytes(gateway.received[0][3])
    assert families(pushed) == families(path)


def test_a_gauge_file_that_is_not_prometheus_text_is_refused_before_any_request(
    gateway, tmp_path, monkeypatch
):
    path = tmp_path / "drift.prom"
    path.write_text(f"{PACKAGE}_drift_psi" + '{column="x} 0.5\n')  # the quote never closes
    monkeypatch.setenv("PUSHGATEWAY_URL", gateway.url)
    with pytest.raises(UserError, match=r"is not Prometheus text.*run `make drift` again"):
        push_metrics(path, "drift")
    assert gateway.received == []
