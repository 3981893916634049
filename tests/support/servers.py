"""Servers the tests start (`make serve`): a free port, HTTP requests, readiness, and
stopping a server's whole process group.

A server runs in a session of its own, so stopping its process group reaches make, uv,
bentoml and every worker: none of them outlives the test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

READY_TIMEOUT_SECONDS = 60
STOP_GRACE_SECONDS = 15


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def request(url: str, body: bytes | None = None, timeout: float = 60) -> tuple[int, Any]:
    """(status, parsed JSON or text); an HTTP error status is returned, not raised."""
    headers = {"Content-Type": "application/json"}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, data=body, headers=headers), timeout=timeout
        ) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except json.JSONDecodeError:
        return status, raw.decode()


def start_server(command: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start a server in a session (and process group) of its own, its output in `log`."""
    with log.open("w") as stream:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdout=stream,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_ready(
    url: str, server: subprocess.Popen, log: Path, timeout: float = READY_TIMEOUT_SECONDS
) -> float:
    """Seconds until GET {url}/readyz answers 200; fail with the log's tail if it never does."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if server.poll() is not None:
            break
        try:
            if request(f"{url}/readyz", timeout=2)[0] == 200:
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"{url}/readyz not 200 within {timeout} s:\n{log.read_text()[-4000:]}")


def stop(server: subprocess.Popen) -> None:
    """Stop make, uv, bentoml and its workers: the whole process group started for them.
    SIGTERM first; SIGKILL for whatever of the group still runs after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        try:
            os.killpg(server.pid, sig)
            while time.monotonic() < deadline:
                server.poll()  # reap the group's leader, or its zombie keeps the group alive
                os.killpg(server.pid, 0)  # raises once no process of the group is left
                time.sleep(0.2)
        except ProcessLookupError:
            return
