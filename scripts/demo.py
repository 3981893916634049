"""Generate a project with the template's defaults and run it: setup, pipeline, tests.

Each step prints its elapsed time; a failure names the step and the command to rerun it.
Run through `make demo`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cookiecutter.main import cookiecutter

TEMPLATE = Path(__file__).resolve().parents[1]


@dataclass
class Step:
    name: str
    command: list[str]
    seconds: float = 0.0


def run_step(step: Step, cwd: Path, env: dict[str, str]) -> None:
    print(f"==> {step.name}: {' '.join(step.command)}", flush=True)
    started = time.perf_counter()
    result = subprocess.run(step.command, cwd=cwd, env=env)
    step.seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(
            f"demo failed at step '{step.name}' (exit {result.returncode}).\n"
            f"Rerun it with: cd {cwd} && {' '.join(step.command)}"
        )
    print(f"    done in {step.seconds:.1f} s", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("build/demo"))
    args = parser.parse_args()
    output = args.output.resolve()
    if output.exists():
        shutil.rmtree(output)
    output.mkdir(parents=True)

    started = time.perf_counter()
    project = Path(
        cookiecutter(
            str(TEMPLATE),
            no_input=True,
            output_dir=str(output),
            extra_context={"dvc_remote_url": str(output / "dvc-storage")},
        )
    )
    steps = [Step("generate", ["cookiecutter", str(TEMPLATE)], time.perf_counter() - started)]
    unpinned = {"VIRTUAL_ENV", "PYENV_VERSION", "PYENV_DIR"}  # let the project pick its Python
    env = {key: value for key, value in os.environ.items() if key not in unpinned}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for step in (
        Step("setup", ["make", "setup"]),
        Step("pipeline", ["make", "pipeline"]),
        Step("test", ["make", "test"]),
    ):
        run_step(step, project, env)
        steps.append(step)

    print(f"\n{'step':<10} {'seconds':>8}")
    for step in steps:
        print(f"{step.name:<10} {step.seconds:>8.1f}")
    print(f"{'total':<10} {sum(step.seconds for step in steps):>8.1f}")
    print(f"\nThe project is in {project}; its metrics: {project / 'metrics.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
