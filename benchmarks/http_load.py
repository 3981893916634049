"""A stdlib load client and server lifecycle for the serving benchmark: no new dependencies.

Threads each hold one keep-alive `http.client` connection, as a real client pool would, so
the figures measure the server and not TCP handshakes. A server runs in its own session and
is stopped by process group, so none of its workers outlive the benchmark.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STOP_TIMEOUT_SECONDS = 20.0


@dataclass
class LoadResult:
    """What one load run measured; `answers` maps a payload index to its decoded body."""

    requests: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    answers: dict[int, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        """Latency in ms at `share` (0..1) of the sorted samples, nearest rank."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def group_members(pgid: int) -> list[tuple[int, str, int]]:
    """(pid, command name, resident kB) of each live process in group `pgid`, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):  # it ended while we looked
            head, tail = (entry / "stat").read_text().rsplit(")", 1)
            fields = tail.split()  # after the command, which may hold spaces: state ppid pgrp
            if int(fields[2]) != pgid or fields[0] == "Z":
                continue
            status = (entry / "status").read_text().splitlines()
            rss = next((int(line.split()[1]) for line in status if line.startswith("VmRSS:")), 0)
            members.append((int(entry.name), head.split("(", 1)[1], rss))
    return members


def group_rss_mb(pgid: int) -> float:
    """Resident memory of every process in group `pgid` (MB)."""
    return sum(rss for _, _, rss in group_members(pgid)) / 1024


def group_pids(pgid: int) -> list[int]:
    return [pid for pid, _, _ in group_members(pgid)]


class Server:
    """One server process group: start, wait for readiness, sample memory, stop."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.command, self.log = command, log
        self.started = time.perf_counter()
        with open(log, "w") as handle:
            self.process = subprocess.Popen(
                command,
                cwd=cwd,
                env=env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches every worker
            )
        self.peak_rss_mb = 0.0

    def wait_ready(self, port: int, path: str, timeout: float) -> float:
        """Seconds from start until GET `path` answers 200; raise with the log tail if not."""
        deadline = self.started + timeout
        while time.perf_counter() < deadline:
            if self.process.poll() is not None:
                break
            with contextlib.suppress(OSError, http.client.HTTPException):
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", path)
                if connection.getresponse().status == 200:
                    connection.close()
                    return time.perf_counter() - self.started
                connection.close()
            time.sleep(0.2)
        tail = "\n".join(self.log.read_text().splitlines()[-30:])
        raise RuntimeError(f"{tail}\n`{' '.join(self.command)}` not ready on {path}")

    def rss_mb(self) -> float:
        rss = group_rss_mb(self.process.pid)
        self.peak_rss_mb = max(self.peak_rss_mb, rss)
        return rss

    def stop(self) -> list[int]:
        """Stop the whole group (SIGTERM, then SIGKILL); return any pid still alive."""
        pgid = self.process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
        while group_pids(pgid) and time.monotonic() < deadline:
            time.sleep(0.2)
        with contextlib.suppress(ProcessLookupError):  # workers that ignored the SIGTERM
            os.killpg(pgid, signal.SIGKILL)
        if self.process.poll() is None:
            self.process.wait()
        time.sleep(0.5)
        return group_pids(pgid)


def load(
    port: int,
    path: str,
    bodies: list[bytes],
    requests: int,
    concurrency: int,
    sample: Callable[[], object] | None = None,
) -> LoadResult:
    """POST `requests` bodies (cycling through `bodies`) from `concurrency` threads.

    Every response must be HTTP 200; its decoded JSON is kept per body index, so callers can
    check what the server predicted. `sample` runs about twice a second meanwhile (memory).
    """
    result = LoadResult(requests=requests, seconds=0.0)
    counter = itertools.count()
    lock = threading.Lock()
    done = threading.Event()
    headers = {"Content-Type": "application/json", "Connection": "keep-alive"}

    def worker() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies, errors, answers = [], [], {}
        while (number := next(counter)) < requests:
            index = number % len(bodies)
            started = time.perf_counter()
            try:
                connection.request("POST", path, body=bodies[index], headers=headers)
                response = connection.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as error:
                errors.append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(f"HTTP {response.status}: {payload[:300]!r}")
            elif index not in answers:
                answers[index] = json.loads(payload)
        connection.close()
        with lock:
            result.latencies += latencies
            result.errors += errors
            result.answers.update(answers)

    def sampler() -> None:
        while not done.wait(0.5):
            sample()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    watcher = threading.Thread(target=sampler) if sample else None
    if watcher:
        watcher.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.perf_counter() - started
    done.set()
    if watcher:
        watcher.join()
    return result


def summarize(result: LoadResult) -> str:
    return (
        f"{result.requests} requests in {result.seconds:.1f} s: {result.rate:.0f} req/s, "
        f"p50 {result.percentile(0.5):.1f} ms, p99 {result.percentile(0.99):.1f} ms, "
        f"mean {1000 * statistics.fmean(result.latencies or [0]):.1f} ms, "
        f"errors {len(result.errors)}"
    )
