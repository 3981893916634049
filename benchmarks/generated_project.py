"""What the benchmarks share: a project generated with the defaults, and the env to drive it.

Each benchmark measures the generated project the way a user runs it (its make targets), so
the setup steps live here once and the scripts keep to what they time.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]
# Commits are made in the subprocess env only: the caller's git config is never touched.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "mergeship bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "mergeship bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
}


class CommandFailed(Exception):
    """A project command failed; the message holds its output tail and how to rerun it."""


def project_env(scratch: Path) -> dict[str, str]:
    """The caller's env minus what pins the template's Python; bentos stay in `scratch`."""
    unpinned = {"VIRTUAL_ENV", "PYENV_VERSION", "PYENV_DIR"}  # let the project pick its Python
    env = {key: value for key, value in os.environ.items() if key not in unpinned}
    # The template's venv holds uv; generated Makefiles call it by name.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["BENTOML_HOME"] = str(scratch / "bentoml")  # not the user's ~/bentoml model store
    return {**env, **GIT_IDENTITY}


def generate(scratch: Path, remote: Path, template: Path = TEMPLATE, **options: str) -> Path:
    """Render the template (or a copy of it at another commit) with its defaults, or
    `options`, and a local-directory DVC remote at `remote`."""
    return Path(
        cookiecutter(
            str(template),
            no_input=True,
            output_dir=str(scratch),
            extra_context={"dvc_remote_url": str(remote), **options},
        )
    )


@contextmanager
def scratch_project(**options: str) -> Iterator[tuple[Path, dict[str, str], str]]:
    """A project generated into a temporary directory (removed after), with its DVC remote
    beside it: the project's path, the env to drive it, and its package name."""
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        project = generate(scratch, scratch / "storage", **options)
        yield project, project_env(scratch), next((project / "src").iterdir()).name


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run one command; on failure raise with the tail of its output."""
    result = subprocess.run(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    if result.returncode != 0:
        tail = "\n".join(result.stdout.strip().splitlines()[-30:])
        raise CommandFailed(f"{tail}\n`{' '.join(command)}` exited {result.returncode} in {cwd}")
    return result.stdout


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, str]:
    """Seconds a command takes, and its output."""
    started = time.perf_counter()
    output = run(command, cwd, env)
    return time.perf_counter() - started, output


def commit_all(project: Path, env: dict[str, str], message: str) -> None:
    run(["git", "add", "-A"], project, env)
    run(["git", "commit", "-q", "-m", message], project, env)
