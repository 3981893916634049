"""Shared fixtures: render the template with given options, once per combination per session.

Plain helpers live in projects.py (generated projects) and servers.py (servers the tests
start); fixtures stay here.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from projects import render_project
from projects import run as run  # re-exported: test_render.py and test_setup_shim.py import it here

Render = Callable[..., Path]


def tool_path() -> str:
    """PATH with this interpreter's scripts first, so hooks and tests find uv, ruff, dvc."""
    scripts = Path(sys.executable).parent
    return f"{scripts}{os.pathsep}{os.environ.get('PATH', '')}"


@pytest.fixture(scope="session", autouse=True)
def tools_on_path() -> None:
    os.environ["PATH"] = tool_path()
    # A pyenv shim that launched us pins PYENV_VERSION; generated projects must pick their
    # own Python from .python-version instead, or uv goes looking to download one.
    for pinned in ("PYENV_VERSION", "PYENV_DIR"):
        os.environ.pop(pinned, None)
    if shutil.which("uv") is None:
        pytest.exit("uv is required: run `make test` from the template root (see README)")


@pytest.fixture(scope="session")
def render(tmp_path_factory: pytest.TempPathFactory) -> Render:
    """Render a combination once per session; later calls reuse it (read-only use only)."""
    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def _render(**options: str) -> Path:
        key = tuple(sorted(options.items()))
        if key not in cache:
            cache[key] = render_project(tmp_path_factory.mktemp("render"), **options)
        return cache[key]

    return _render
