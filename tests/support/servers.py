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
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.waiting import wait_for

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


def answers_200(url: str) -> bool:
    """GET `url` answers 200; a server not listening yet is a no, not an error."""
    try:
        return request(url, timeout=2)[0] == 200
    except OSError:
        return False


def wait_ready(
    url: str,
    server: subprocess.Popen,
    log: Path,
    timeout: float = READY_TIMEOUT_SECONDS,
    path: str = "/readyz",
) -> float:
    """Seconds until GET {url}{path} answers 200 while `server` runs; fail with the log's
    tail if it never does."""
    start = time.monotonic()
    wait_for(
        lambda: answers_200(f"{url}{path}"),
        timeout,
        f"{url}{path} answering 200",
        alive=lambda: server.poll() is None,
        evidence=lambda: log.read_text()[-4000:],
    )
    return time.monotonic() - start


def stop(server: subprocess.Popen) -> None:
    """Stop make, uv, bentoml and its workers: the whole process group started for them."""
    stop_group(server.pid, server.poll)  # poll reaps the leader: its zombie keeps the group


def stop_group(leader: int, reap: Callable[[], object] = lambda: None) -> None:
    """SIGTERM to the process group first, so bentoml stops its workers itself (they run in
    sessions of their own: a SIGKILL to the group would leave them running, orphaned);
    SIGKILL for whatever of the group still runs after a grace period."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        try:
            os.killpg(leader, sig)
            while time.monotonic() < deadline:
                reap()
                os.killpg(leader, 0)  # raises once no process of the group is left
                time.sleep(0.2)
        except ProcessLookupError:
            return
