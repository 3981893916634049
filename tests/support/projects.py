"""Generated projects for the tests: render one, run its commands as a user would, commit,
clone, and build main (set up, pipeline run, committed, outputs pushed).

Plain functions, no fixtures (those stay in tests/conftest.py); tests import them by name,
e.g. `from support.projects import build_main, sh`. Servers the tests start are in servers.py.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import yaml
from cookiecutter.main import cookiecutter

from support.combinations import TEMPLATE

# Commits are made with this identity in the subprocess env only: no git config is touched.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test User",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test User",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
}

# The `render` fixture: options in, the rendered project's directory out.
Render = Callable[..., Path]


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


def generate(root: Path, **options: str) -> Path:
    """Render into `root` with a local-directory DVC remote at root/dvc-remote."""
    return render_project(
        root, dvc_remote="local", dvc_remote_url=str(root / "dvc-remote"), **options
    )


def package_name(project: Path) -> str:
    """The generated package's import name: the project slug with underscores."""
    return project.name.replace("-", "_")


def run(command: list[str], cwd: Path, check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    """Run a command, and on failure show its output in the assertion message."""
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, **kwargs)
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(command)} failed ({result.returncode}) in {cwd}\n"
            f"--- stdout ---\n{result.stdout[-4000:]}\n--- stderr ---\n{result.stderr[-4000:]}"
        )
    return result


# Not in a user's shell nor on GitHub's runners: with it, Python writes no __pycache__ into
# src/, which would hide what DVC sees there (and every process would recompile its imports).
NOT_A_USERS_SHELL = {"VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}


def project_env() -> dict[str, str]:
    """The environment a user's shell would have: no template venv, a git identity."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_A_USERS_SHELL}
    return {**env, **GIT_IDENTITY}


def sh(
    command: list[str],
    cwd: Path,
    check: bool = True,
    timeout: float = 900,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess:
    """Run a command in a generated project, in `env` (by default a user's: project_env)."""
    env = project_env() if env is None else env
    return run(command, cwd=cwd, check=check, env=env, timeout=timeout)


def commit_all(project: Path, message: str) -> None:
    sh(["git", "add", "-A"], project)
    sh(["git", "commit", "-q", "--no-verify", "-m", message], project)


def clone(source: Path, target: Path, branch: str | None = None, shallow: bool = False) -> Path:
    """`git clone` of a generated project: its commits, not its data (DVC brings that)."""
    options = [*(["--branch", branch] if branch else []), *(["--depth", "1"] if shallow else [])]
    url = f"file://{source}" if shallow else str(source)  # a local path would ignore --depth
    sh(["git", "clone", "-q", *options, url, str(target)], source.parent)
    return target


def working_copy(
    origin: Path,
    target: Path,
    branch: str | None = None,
    shallow: bool = False,
    sync: bool = True,
) -> Path:
    """A clone that reuses origin's environment: its .venv is copied (as CI's setup cache
    would restore it) and `uv sync` re-points it, unless the caller's setup step will."""
    clone(origin, target, branch=branch, shallow=shallow)
    link_venv(origin / ".venv", target / ".venv")
    if sync:
        sh(["uv", "sync", "--locked", "--quiet"], target)
    return target


def link_venv(source: Path, target: Path) -> None:
    """Copy a project's .venv as hard links: 0.3 s instead of 2.5 s for its 1 GB. Safe to
    share, because neither uv nor Python edits an installed file in place: they write a new
    file and rename it over the old one."""
    shutil.copytree(source, target, symlinks=True, copy_function=os.link)


def build_main(root: Path, message: str = "main: first model", **options: str) -> Path:
    """main after a merge: a generated project set up, its pipeline run, committed, and its
    outputs pushed to a local-directory remote under `root`. Shared by the e2e modules."""
    project = generate(root, **options)
    sh(["make", "setup"], project)
    sh(["make", "pipeline"], project)
    commit_all(project, message)
    sh(["make", "push-data"], project)
    return project


def main_name(task: str) -> str:
    """The project name of the session's shared main for a task (see shared_main)."""
    return f"Acme {task}"


def main_package(task: str) -> str:
    return main_name(task).lower().replace(" ", "_")


@contextlib.contextmanager
def exclusive(lock: Path) -> Iterator[None]:
    """Hold an exclusive lock on a file: one xdist worker at a time gets past it."""
    with open(lock, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def built_once(shared: Path, name: str, build: Callable[[Path], Path]) -> Path:
    """`build(root)` once per test session, by whichever xdist worker asks first; the others
    wait for it and get its result, or its failure, instead of building their own."""
    root = shared / name
    done, failed = shared / f"{name}.built", shared / f"{name}.failed"
    with exclusive(shared / f"{name}.lock"):
        if done.exists():
            return Path(done.read_text())
        if failed.exists():
            raise AssertionError(
                f"building {name} failed earlier this session:\n{failed.read_text()}"
            )
        root.mkdir(parents=True)
        try:
            result = build(root)
        except Exception as error:
            failed.write_text(str(error)[-4000:])
            raise
        done.write_text(str(result))
        return result


# Local MLflow state records absolute paths (artifact locations) and is in .gitignore, so a
# copy of main does not take it: like a clone, the copy starts its own on its first run.
LOCAL_TRACKING = {"mlflow.db", "mlruns", "mlartifacts", "mlflow_run.json"}


def copy_main(main: Path, root: Path) -> Path:
    """A private copy of a built main under `root`: the project and its own copy of the DVC
    remote, as a user who moves both would have (the remote's new path set in
    .dvc/config.local), then `make setup` to re-point the environment. Tests may change, commit
    and push in the copy without touching main or each other."""
    root.mkdir(parents=True, exist_ok=True)
    remote, copied_remote = main.parent / "dvc-remote", root / "dvc-remote"
    shutil.copytree(remote, copied_remote)
    project = root / main.name

    def left_behind(directory: str, names: list[str]) -> set[str]:
        if Path(directory) == main:
            return {".venv"} | (LOCAL_TRACKING & set(names))
        return {"tmp"} if Path(directory) == main / ".dvc" else LOCAL_TRACKING & set(names)

    shutil.copytree(main, project, symlinks=True, ignore=left_behind)
    link_venv(main / ".venv", project / ".venv")
    sh(["make", "setup"], project)
    # DVC's place for a machine's own settings: .dvc/config.local, untracked, over .dvc/config.
    sh(["uv", "run", "--locked", "dvc", "remote", "modify", "--local", "storage", "url",
        str(copied_remote)], project)  # fmt: skip
    return project


def reviewed_md5(project: Path) -> str:
    """The md5 dvc.lock records for the model: the one the review saw."""
    stages = yaml.safe_load((project / "dvc.lock").read_text())["stages"]
    outs = [out for stage in stages.values() for out in stage.get("outs", [])]
    return next(out["md5"] for out in outs if out["path"] == "models/model.skops")


# Writes current-data windows for the drift tests; run with a project's `uv run python`, as the
# template's own environment has no pandas.
DRIFT_WINDOWS = Path(__file__).with_name("drift_windows.py")
