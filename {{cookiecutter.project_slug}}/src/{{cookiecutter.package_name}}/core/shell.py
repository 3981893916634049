"""The one way this package runs another program (git, dvc, gh): output captured, errors named."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from .errors import UserError


def run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False)


def call(*command: str) -> str:
    """Run and return stdout; a failure is a UserError carrying the tool's own message."""
    done = run(*command)
    if done.returncode != 0:
        message = (done.stderr or done.stdout).strip()
        raise UserError(f"`{' '.join(command)}` failed: {message}")
    return done.stdout.strip()


def gh_api(*args: str) -> Any:
    """`gh api`, its JSON decoded: None when GitHub answers nothing (a DELETE, a 204)."""
    return json.loads(call("gh", "api", *args) or "null")


def dvc(*args: str) -> str:
    """DVC from this environment, whatever is first on PATH."""
    return call(sys.executable, "-m", "dvc", *args)
