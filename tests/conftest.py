"""Shared fixtures: render the template with given options, once per combination per session.

Fixtures only: the plain helpers they use live in the support package (support/projects.py
for generated projects, support/servers.py for servers the tests start).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from support.projects import Render, build_main, built_once, main_name, render_project


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
def render(shared_dir: Path) -> Render:
    """Render a combination once per session, whichever worker asks first; later calls, in
    any worker, reuse it (read-only use only): test_render and test_workflows ask for the
    same combinations, and a render costs seconds (the post-gen hook locks the project)."""
    cache: dict[tuple[tuple[str, str], ...], Path] = {}

    def _render(**options: str) -> Path:
        key = tuple(sorted(options.items()))
        if key not in cache:
            name = "render-" + hashlib.sha256(repr(key).encode()).hexdigest()[:16]
            cache[key] = built_once(shared_dir, name, lambda root: render_project(root, **options))
        return cache[key]

    return _render


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory all xdist workers of this session share: the parent of each worker's
    base temp under xdist, the base temp itself without it."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def shared_main(shared_dir: Path) -> Callable[[str], Path]:
    """main for a task (generated with the default options, set up, pipeline run, committed,
    outputs pushed), built once per session for every module and worker: each build costs
    about 50 s of CPU. Read it, never change it: tests change a copy (projects.copy_main)."""

    def _main(task: str) -> Path:
        return built_once(
            shared_dir,
            f"main-{task}",
            lambda root: build_main(root, project_name=main_name(task), task=task),
        )

    return _main


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Name each real table of the own-data test (tests/start/test_own_data.py) with its
    outcome and time, so CI's output says which tables the README's path held on."""
    rows = [
        report
        for outcome in ("passed", "failed")
        for report in terminalreporter.stats.get(outcome, [])
        if report.when == "call" and "test_own_data.py" in report.nodeid
    ]
    if not rows:
        return
    terminalreporter.section("own data: the README's path on real tables")
    for report in sorted(rows, key=lambda report: report.nodeid):
        table = report.nodeid.rsplit("[", 1)[-1].rstrip("]")
        terminalreporter.write_line(f"{report.outcome:>6}  {report.duration:5.0f} s  {table}")
