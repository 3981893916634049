"""Shared fixtures: render the template with given options, once per combination per session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

from combinations import TEMPLATE

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


def render_project(output_dir: Path, **options: str) -> Path:
    """Run cookiecutter non-interactively, hooks included; return the project directory."""
    return Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output_dir),
            extra_context=options,
            accept_hooks=True,
        )
    )


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


def run(command: list[str], cwd: Path, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, and on failure show its output in the assertion message."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}) in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
    return result
