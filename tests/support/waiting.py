"""One way to wait: poll a condition until it holds, or fail saying what never happened.

Every wait in the tests (a server's readiness, a container's, a Prometheus alert, lines in a
log) goes through `wait_for`, so each timeout reads the same way: what was awaited, how long,
whether the process behind it ended first, and the evidence (a log's tail) to see why.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    condition: Callable[[], T],
    timeout: float,
    what: str,
    *,
    interval: float = 0.5,
    alive: Callable[[], bool] | None = None,
    evidence: Callable[[], str] | None = None,
) -> T:
    """Poll `condition()` until it returns something truthy, and return that. Fail naming
    `what` after `timeout` seconds, or at once when `alive()` says the process it waits on
    has ended; `evidence()` is appended to the failure."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if alive is not None and not alive():
            reason = "its process ended first"
            break
        if time.monotonic() >= deadline:
            reason = f"not within {timeout} s"
            break
        time.sleep(interval)
    message = f"{what}: {reason}"
    raise AssertionError(f"{message}\n{evidence()}" if evidence is not None else message)
