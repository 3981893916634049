"""The drift and performance gauges reach a Pushgateway; every way they cannot is a clear error."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

from {{ cookiecutter.package_name }}.core.errors import UserError
from {{ cookiecutter.package_name }}.core.params import PACKAGE
from {{ cookiecutter.package_name }}.monitoring.metrics_push import push_metrics

GAUGE = f"# TYPE {PACKAGE}_drift_detected gauge\n{PACKAGE}_drift_detected 1\n"


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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
