"""What a test needs from the machine: a command-line tool or a service.

Outside CI a missing one skips its tests with the command that provides it; under CI=true it
fails them, so a CI run can never go green by skipping.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

HINT = (
    "`uv sync` in the template root installs the dev tools; "
    "`.ci/services.sh start && source build/services/env` the services (README, Tests)"
)


def require(what: str, available: bool) -> None:
    """Skip (or under CI=true fail) the calling test when `what` is not available."""
    if available:
        return
    message = f"{what} is not available here: {HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def tool(name: str) -> str:
    """The tool's path: from this interpreter's environment (the template's dev env) first,
    then PATH. Missing, it skips the calling test, or fails it under CI=true (`require`)."""
    local = Path(sys.executable).parent / name
    found = str(local) if local.exists() else shutil.which(name)
    require(name, found is not None)
    assert found is not None  # for the type checker: require() has skipped or failed
    return found
