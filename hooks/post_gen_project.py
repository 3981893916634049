"""Finish the generated project: prune unselected variants, track the sample data, git, uv.

Each option prunes its own files in one small function, so a variant is removed in one
place. The sample data is put under DVC by hand (its .dvc file and cache entry) because DVC
is not installed yet when this hook runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# cookiecutter renders the whole context as JSON here; the raw string keeps backslashes.
OPTIONS: dict[str, str] = json.loads(r"""{{ cookiecutter | jsonify }}""")
PROJECT = Path.cwd()
RAW_DATA = Path("data/raw/data.csv")
SKIP_LOCK = "MERGESHIP_SKIP_UV_LOCK"


def remove(*paths: str) -> None:
    for name in paths:
        path = PROJECT / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def keep_task_sample(task: str) -> None:
    """Ship the sample dataset and contract of the chosen task; drop the other task's."""
    samples = PROJECT / "data" / "samples"
    (PROJECT / RAW_DATA).parent.mkdir(parents=True, exist_ok=True)
    shutil.move(samples / f"{task}.csv", PROJECT / RAW_DATA)
    shutil.move(samples / f"{task}.schema.yaml", PROJECT / "data" / "schema.yaml")
    remove("data/samples")


def keep_license(license_name: str) -> None:
    shutil.move(PROJECT / "licenses" / license_name, PROJECT / "LICENSE")
    remove("licenses")


def remove_deploy_files(target: str) -> None:
    if target != "kubernetes":
        remove("deploy/kubernetes")
    if target != "bentocloud":
        remove("deploy/bentocloud")
    deploy = PROJECT / "deploy"
    if deploy.is_dir() and not any(deploy.iterdir()):
        deploy.rmdir()


def remove_monitoring_files(monitoring: str) -> None:
    """Monitoring is whole folders: the package finds its code, the Makefile its targets."""
    if monitoring != "yes":
        remove(
            "monitoring",
            ".github/workflows/retrain.yml",
            f"src/{OPTIONS['package_name']}/monitoring",
            f"src/{OPTIONS['package_name']}/core/inference_log.py",
            "tests/monitoring",
        )


def keep_action_variant(kind: str, chosen: str) -> None:
    """Keep `.github/actions/<kind>-<chosen>` as `.github/actions/<kind>`; drop the others.

    Workflows call `./.github/actions/<kind>` whatever was chosen, so they need no Jinja.
    """
    actions = PROJECT / ".github" / "actions"
    for variant in actions.glob(f"{kind}-*"):
        if variant.name == f"{kind}-{chosen}":
            variant.rename(actions / kind)
        else:
            shutil.rmtree(variant)


def keep_terraform(remote: str) -> None:
    """Keep `infra/terraform/<remote>` as `infra/terraform`; the local remote has no infra.

    The README's `cd infra/terraform && terraform init` then works whichever remote was chosen.
    """
    if remote == "local":
        remove("infra")
        return
    terraform = PROJECT / "infra" / "terraform"
    shutil.move(terraform / remote, PROJECT / "infra" / remote)
    shutil.rmtree(terraform)
    (PROJECT / "infra" / remote).rename(terraform)


def remove_service_monitor(monitoring: str) -> None:
    """The ServiceMonitor needs the Prometheus Operator's CRD: only with monitoring."""
    if monitoring != "yes":
        remove("deploy/kubernetes/servicemonitor.yaml")


def track_with_dvc(relative: Path) -> None:
    """Write what `dvc add` would: the .dvc file, a .gitignore entry and the cache copy."""
    path = PROJECT / relative
    content = path.read_bytes()
    md5 = hashlib.md5(content).hexdigest()
    cached = PROJECT / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, cached)
    path.with_name(path.name + ".dvc").write_text(
        f"outs:\n- md5: {md5}\n  size: {len(content)}\n  hash: md5\n  path: {path.name}\n"
    )
    path.with_name(".gitignore").write_text(f"/{path.name}\n")


def git_init() -> None:
    if shutil.which("git") is None:
        print("git not found: skipped `git init`; run `git init -b main` later.")
        return
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=PROJECT, check=True)


# A pyenv shim that started cookiecutter exports these: they would make every pyenv shim uv
# runs ignore the project's .python-version, so uv would find no Python and download one.
PYENV_PINS = ("PYENV_VERSION", "PYENV_DIR")


def lock_environment() -> dict[str, str]:
    """This environment without pyenv pins, and with Python downloads off.

    Generation should never fetch an interpreter behind the user's back (nor fail on a
    machine that cannot): with no Python to lock for, the warning says to run `uv lock`.
    """
    env = {key: value for key, value in os.environ.items() if key not in PYENV_PINS}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    return env


def find_uv(env: dict[str, str]) -> tuple[str | None, str]:
    """A uv that runs in the project, else None and the one-line fix.

    The project's scripts/find-uv.sh is the search `make` uses too, so both agree on which uv
    runs (a pyenv shim of uv may not run under the project's .python-version). The uv beside
    this Python (cookiecutter installed next to it) is one more candidate. Without bash,
    the uv on PATH as it is.
    """
    bash = shutil.which("bash", path=env.get("PATH"))
    if bash is None:
        on_path = shutil.which("uv", path=env.get("PATH"))
        return on_path, "uv not found on PATH: install it (https://docs.astral.sh/uv/)"
    beside = Path(sys.executable).with_name("uv")
    found = subprocess.run(
        [bash, "scripts/find-uv.sh", str(beside)],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
    )
    output = found.stdout.strip()
    return (output, "") if found.returncode == 0 else (None, output)


def uv_lock() -> None:
    """Lock the dependencies, unless MERGESHIP_SKIP_UV_LOCK=1; never fail the generation.

    `cruft update` renders the old and the new template version in temporary directories,
    hooks included, only to diff them. Their lock files are thrown away (the generated
    pyproject.toml lists uv.lock in `[tool.cruft] skip`, and `make template-update` relocks
    the project itself afterwards), so that target sets the variable to spare two resolutions.
    """
    if os.environ.get(SKIP_LOCK) == "1":
        print(f"{SKIP_LOCK}=1: skipped `uv lock`.")
        return
    env = lock_environment()
    uv, problem = find_uv(env)
    if uv is None:
        fix = problem.removeprefix("error: ")
        print(f"warning: skipped `uv lock`: {fix}; then run `uv lock` in {PROJECT.name}.")
        return
    result = subprocess.run(
        [uv, "lock", "--quiet"], cwd=PROJECT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        print(
            f"warning: `uv lock` failed; run it again in {PROJECT.name}:\n{result.stderr.strip()}"
        )


def main() -> int:
    keep_task_sample(OPTIONS["task"])
    keep_license(OPTIONS["license"])
    remove_deploy_files(OPTIONS["deploy_target"])
    remove_monitoring_files(OPTIONS["monitoring"])
    keep_action_variant("remote-auth", OPTIONS["dvc_remote"])
    keep_action_variant("deploy", OPTIONS["deploy_target"])
    keep_terraform(OPTIONS["dvc_remote"])
    remove_service_monitor(OPTIONS["monitoring"])
    track_with_dvc(RAW_DATA)
    git_init()
    uv_lock()
    print(
        f"Created {PROJECT.name}. "
        f"Next: cd {PROJECT.name} && make setup && make pipeline && make test"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
