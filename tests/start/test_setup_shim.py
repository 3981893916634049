"""uv installed with pip into one pyenv Python, reached through pyenv's shim, still works.

The shim runs uv only under the Python it was installed into; a generated project's
.python-version picks another, so there the shim fails ("pyenv: uv: command not found"). And
a shim that started cookiecutter exports PYENV_VERSION, which would make uv miss the project's
Python and go to download one. A fake pyenv stands in for the real one: the same failures.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path
from typing import NamedTuple

import pytest

from support.combinations import TEMPLATE
from support.projects import GIT_IDENTITY, run

HAS_UV = "withuv"  # the pyenv "version" uv was pip-installed into
SYSTEM_PATH = f"/usr/bin{os.pathsep}/bin"
# What `uv run` (and an outer `make test`) set for this test run: a user's shell has none.
UV_RUN_VARIABLES = {
    "UV",
    "VIRTUAL_ENV",
    "UV_PYTHON_DOWNLOADS",
    "MAKELEVEL",
    "MAKEFLAGS",
    "MFLAGS",
}
FIX = "install uv standalone (curl -LsSf https://astral.sh/uv/install.sh | sh, or pipx install uv)"
SHIM = """#!/usr/bin/env bash
# As pyenv's: PYENV_VERSION, else ./.python-version, else the global version picks Python.
version="${{PYENV_VERSION:-$(cat .python-version 2>/dev/null || echo {global_})}}"
if [ "$version" != "{has}" ]; then
    echo "pyenv: uv: command not found" >&2
    exit 127
fi
exec {uv} "$@"
"""
# Only `pyenv whence --path uv`: the uv of every Python that has one.
PYENV = """#!/usr/bin/env bash
if [ "$*" = "whence --path uv" ] && [ -n "{uv}" ]; then echo "{uv}"; exit 0; fi
exit 1
"""
# The real uv inside the Python that has it, logging how it is called.
LOGGED_UV = """#!/usr/bin/env bash
echo "PYENV_VERSION=$PYENV_VERSION UV_PYTHON_DOWNLOADS=$UV_PYTHON_DOWNLOADS $*" >>{log}
exec {uv} "$@"
"""


class Shimmed(NamedTuple):
    project: Path
    env: dict[str, str]
    behind: Path  # the uv pyenv holds
    log: Path  # one line per call of it
    output: str  # what cookiecutter printed


def script(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def fake_pyenv(root: Path, real_uv: str | None) -> Path:
    """Shims (uv, pyenv) in root/shims, in front of root/versions/withuv/bin/uv; return shims.

    With real_uv None there is no uv behind the shim, so it never runs one.
    """
    behind = root / "versions" / HAS_UV / "bin" / "uv"
    if real_uv is not None:
        script(behind, LOGGED_UV.format(log=root / "uv-calls.log", uv=real_uv))
    found = str(behind) if real_uv else ""
    shims = root / "shims"
    script(
        shims / "uv", SHIM.format(global_=HAS_UV, has=HAS_UV if found else "-", uv=found or "false")
    )
    script(shims / "pyenv", PYENV.format(uv=found))
    return shims


def shim_child_env(shims: Path, rest_of_path: str, **extra: str) -> dict[str, str]:
    """The environment a pyenv shim gives what it starts: shims first, the version pinned.

    Less what `uv run` and an outer make set for this test run: UV (its own path), which
    `make` would use, and the make level that turns on "Entering directory" lines.
    """
    env = {key: value for key, value in os.environ.items() if key not in UV_RUN_VARIABLES}
    return {**env, "PATH": f"{shims}{os.pathsep}{rest_of_path}", "PYENV_VERSION": HAS_UV, **extra}


def without_any_uv(root: Path, shim: bool) -> dict[str, str]:
    """Only system folders on PATH and an empty HOME; a shim that fails, or no uv at all."""
    if shutil.which("uv", path=SYSTEM_PATH):
        pytest.skip("a uv in /usr/bin or /bin would be found")
    shims = fake_pyenv(root, None)
    if not shim:
        (shims / "uv").unlink()
    env = shim_child_env(shims, SYSTEM_PATH, HOME=str(root))
    for key in ("XDG_BIN_HOME", "CARGO_HOME"):
        env.pop(key, None)
    return env


def shim_fails(root: Path) -> str:
    return f"the uv on PATH ({root}/shims/uv) cannot run here (pyenv: uv: command not found)"


@pytest.fixture(scope="module")
def shimmed(tmp_path_factory: pytest.TempPathFactory) -> Shimmed:
    """A project generated as through `pyenv exec cookiecutter`, with the shims first on PATH."""
    root = tmp_path_factory.mktemp("shim")
    real_uv = shutil.which("uv")
    assert real_uv is not None
    shims = fake_pyenv(root, real_uv)
    env = shim_child_env(shims, os.environ["PATH"], PYENV_DIR=str(root))
    command = [sys.executable, "-m", "cookiecutter", "--no-input", "-o", "out", str(TEMPLATE)]
    result = run(command, cwd=root, env=env)
    behind = root / "versions" / HAS_UV / "bin" / "uv"
    project = root / "out" / "churn-model"
    return Shimmed(project, env, behind, root / "uv-calls.log", result.stdout + result.stderr)


def test_post_gen_lock_unpins_pyenv_and_never_downloads_python(shimmed):
    assert (shimmed.project / "uv.lock").is_file(), shimmed.output
    assert "warning" not in shimmed.output, shimmed.output
    assert "download" not in shimmed.output.lower(), shimmed.output
    calls = shimmed.log.read_text().splitlines()
    assert [call for call in calls if "lock" in call] == [
        "PYENV_VERSION= UV_PYTHON_DOWNLOADS=never lock --quiet"
    ]


def test_make_runs_the_uv_behind_the_shim(shimmed):
    """A dry run expands the recipes, so it shows which uv each target would run."""
    dry_run = run(["make", "-n", "setup", "test"], cwd=shimmed.project, env=shimmed.env)
    lines = dry_run.stdout.splitlines()
    assert lines[0] == f"{shimmed.behind} sync --locked --compile-bytecode"
    assert f'{shimmed.behind} run --locked pytest -m "not slow"' in lines


@pytest.fixture(scope="module")
def set_up(shimmed: Shimmed) -> Shimmed:
    """The shimmed project after `make setup` through the shim: its venv and git hooks."""
    run(["make", "setup"], cwd=shimmed.project, env=shimmed.env)
    return shimmed


@pytest.mark.e2e
def test_make_setup_through_the_shim(set_up):
    assert (set_up.project / ".venv" / "bin" / "pytest").is_file()
    assert (set_up.project / ".git" / "hooks" / "pre-commit").is_file()


@pytest.mark.e2e
def test_git_commit_runs_the_hooks_through_the_shim(set_up):
    """A user's shell: the shims first on PATH, nothing pinned, so the project's .python-version
    picks a Python without uv and a bare `uv` in a hook fails ("pyenv: uv: command not found")."""
    pins = ("PYENV_VERSION", "PYENV_DIR")
    env = {key: value for key, value in set_up.env.items() if key not in pins} | GIT_IDENTITY
    changed = next((set_up.project / "src").rglob("__init__.py"))
    changed.write_text(changed.read_text() + "# changed, to run every hook on Python files\n")
    run(["git", "add", str(changed)], cwd=set_up.project, env=env)
    calls_before = len(set_up.log.read_text().splitlines())

    result = run(
        ["git", "commit", "-m", "through the shim"], cwd=set_up.project, env=env, check=False
    )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for hook in ("ruff check", "ruff format", "params.yaml and dvc.yaml agree"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", output, re.MULTILINE), output
    calls = set_up.log.read_text().splitlines()[calls_before:]
    assert sum(" run --locked " in call for call in calls) == 3, calls  # one per hook, all behind


@pytest.mark.parametrize("shim", [True, False], ids=["broken-shim", "no-uv"])
def test_without_a_uv_that_runs_make_stops_with_one_line_naming_the_fix(tmp_path, shimmed, shim):
    env = without_any_uv(tmp_path, shim)
    result = run(["make", "setup"], cwd=shimmed.project, env=env, check=False)
    lines = (result.stdout + result.stderr).splitlines()
    assert result.returncode != 0
    assert len(lines) == 1, lines
    why = shim_fails(tmp_path) if shim else "uv not found on PATH"
    assert f"error: {why}: {FIX}" in lines[0]
    assert run(["make", "help"], cwd=shimmed.project, env=env).stdout  # needs no uv: no search


def test_post_gen_hook_warns_and_goes_on_without_a_uv_that_runs(tmp_path, monkeypatch, capsys):
    project = tmp_path / "churn-model"
    shutil.copytree(TEMPLATE / "{{cookiecutter.project_slug}}" / "scripts", project / "scripts")
    env = without_any_uv(tmp_path, shim=True)
    for key in set(os.environ) - set(env):
        monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))  # no uv beside it either
    monkeypatch.chdir(project)
    source = (TEMPLATE / "hooks" / "post_gen_project.py").read_text()
    hook: dict = {"__name__": "post_gen"}
    exec(compile(source.replace("{{ cookiecutter | jsonify }}", "{}"), "post_gen", "exec"), hook)

    hook["uv_lock"]()

    warning = f"warning: skipped `uv lock`: {shim_fails(tmp_path)}: {FIX}"
    assert capsys.readouterr().out.splitlines() == [
        f"{warning}; then run `uv lock` in churn-model."
    ]
    assert not (project / "uv.lock").exists()
