"""Fresh-clone-to-green: `git clone` of a generated project to a green `make test`.

What a new contributor (or a CI runner with a warm uv cache) waits for before the first green
test run: clone, `make setup`, `make pull-data`, `make pipeline` (a `dvc repro` that must
rerun no stage: the pulled outputs match dvc.lock), `make test`. Goal: <= 90 s on 2 cores.
The project is generated with the defaults and a local-directory DVC remote, its pipeline
run and pushed (data and run-cache) and committed on main first; that preparation is not
timed.
Run: `uv run --locked python benchmarks/fresh_clone_to_green.py [--repeat 3] [--explain]`.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import statistics
import sys
import tempfile
from pathlib import Path

from generated_project import CommandFailed, commit_all, generate, project_env, run, timed
from results import fenced, record

GOAL_SECONDS = 90.0
RUN = ["uv", "run", "--locked"]
# The steps, in order, as the generated README gives them to a new contributor. (CI's
# `make reproduce` recomputes every stage on purpose: that is the review, not a first run.)
STEPS = [
    ("setup", ["make", "setup"]),
    ("pull-data", ["make", "pull-data"]),
    ("pipeline", ["make", "pipeline"]),
    ("test", ["make", "test"]),
]
RAN_STAGE = re.compile(r"^Running stage '([^']+)'", re.MULTILINE)
SKIPPED_STAGE = re.compile(r"^Stage '([^']+)' (?:didn't change|is cached)", re.MULTILINE)


def prepare(project: Path, env: dict[str, str]) -> None:
    """Set up, run and push the pipeline, and commit everything on main (untimed)."""
    for target in ("setup", "pipeline", "push-data"):
        seconds, _ = timed(["make", target], project, env)
        print(f"prepare: make {target}: {seconds:.1f} s", flush=True)
    commit_all(project, env, "Baseline model")


def clone_to_green(project: Path, fresh: Path, env: dict[str, str]) -> dict[str, float]:
    """Time each step in a new clone; fail if the cached repro reran a stage."""
    seconds, _ = timed(["git", "clone", "-q", str(project), str(fresh)], fresh.parent, env)
    times = {"git clone": seconds}
    for name, command in STEPS:
        times[name], output = timed(command, fresh, env)
        if name == "pipeline":
            ran = RAN_STAGE.findall(output)
            if ran:
                raise CommandFailed(f"{output}\nthe pulled pipeline reran stages: {', '.join(ran)}")
            print(f"  pipeline skipped: {', '.join(SKIPPED_STAGE.findall(output))}")
        if name == "test":
            print(f"  test: {output.strip().splitlines()[-1].strip('= ')}")
    return times


def explain(project: Path, scratch: Path, env: dict[str, str]) -> None:
    """Where setup and test time goes, in another fresh clone: one figure per suspect."""
    fresh = scratch / "explain"
    run(["git", "clone", "-q", str(project), str(fresh)], scratch, env)
    python = fresh / ".venv" / "bin" / "python"
    probes = [
        ("uv sync --locked (no byte-compile)", "uv sync --locked"),
        ("uv sync --locked --compile-bytecode (venv there)", "uv sync --locked --compile-bytecode"),
        ("pre-commit install", "uv run --locked pre-commit install"),
        ("uv run --locked true (lock check, start-up)", "uv run --locked true"),
        ("make pull-data", "make pull-data"),
        ("dvc version (dvc start-up)", "PY -m dvc version"),
        ("pytest --collect-only", "PY -m pytest --collect-only -q"),
        ("pytest (venv python, no uv)", "PY -m pytest -q -p no:cacheprovider --durations=8"),
        ("import sklearn.ensemble", "PY -c 'import sklearn.ensemble'"),
        ("import pandas", "PY -c 'import pandas'"),
        ("import pandera.pandas", "PY -c 'import pandera.pandas'"),
        ("import mlflow", "PY -c 'import mlflow'"),
    ]
    print("\nwhere the time goes (one more fresh clone, sequential, warm OS cache):")
    for label, line in probes:
        command = [str(python) if word == "PY" else word for word in shlex.split(line)]
        seconds, output = timed(command, fresh, env)
        print(f"  {seconds:6.1f} s  {label}")
        if "--durations=8" in command:
            lines = output.strip().splitlines()
            start = next((i for i, line in enumerate(lines) if "slowest" in line), len(lines))
            for line in lines[start + 1 : start + 10]:
                print(f"           {line}")


def without_bytecode(project: Path, scratch: Path, env: dict[str, str]) -> None:
    """The same path with `make setup`'s two commands minus --compile-bytecode: Python then
    compiles only the modules a step imports, on first import, instead of the whole venv."""
    fresh = scratch / "lazy"
    seconds, _ = timed(["git", "clone", "-q", str(project), str(fresh)], scratch, env)
    steps = [
        ("git clone", seconds),
        ("uv sync --locked", timed(["uv", "sync", "--locked"], fresh, env)[0]),
        ("pre-commit install", timed([*RUN, "pre-commit", "install"], fresh, env)[0]),
    ]
    steps += [(" ".join(command), timed(command, fresh, env)[0]) for _, command in STEPS[1:]]
    print("\nthe same fresh clone without --compile-bytecode (lazy .pyc on first import):")
    for label, seconds in steps:
        print(f"  {seconds:6.1f} s  {label}")
    print(f"  {sum(seconds for _, seconds in steps):6.1f} s  total")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, help="fresh clones; median when > 1")
    parser.add_argument("--explain", action="store_true", help="also break the time down")
    args = parser.parse_args()
    command = "uv run --locked python benchmarks/fresh_clone_to_green.py"
    command += f" --repeat {args.repeat}" + (" --explain" if args.explain else "")
    runs: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = project_env(scratch)
        try:
            project = generate(scratch, scratch / "storage")
            prepare(project, env)
            for attempt in range(args.repeat):
                print(f"fresh clone {attempt + 1}/{args.repeat}", flush=True)
                runs.append(clone_to_green(project, scratch / f"clone-{attempt}", env))
                print(f"  total {sum(runs[-1].values()):.1f} s", flush=True)
            if args.explain:
                explain(project, scratch, env)
                without_bytecode(project, scratch, env)
        except CommandFailed as failure:
            print(failure, file=sys.stderr)
            return 1
    names = list(runs[0])
    medians = {name: statistics.median(times[name] for times in runs) for name in names}
    total = statistics.median(sum(times.values()) for times in runs)
    lines = [f"{'step':<12} {'median s':>9} {'runs':>24}"]
    for name in names:
        samples = ", ".join(f"{times[name]:.1f}" for times in runs)
        lines.append(f"{name:<12} {medians[name]:>9.1f} {samples:>24}")
    verdict = "PASS" if total <= GOAL_SECONDS else "MISS"
    lines.append(f"{'total':<12} {total:>9.1f}   goal <= {GOAL_SECONDS:.0f} s: {verdict}")
    steps = ", ".join(" ".join(step) for _, step in STEPS)
    lines.append(f"({os.cpu_count()} cores, warm uv cache; steps: git clone, {steps})")
    print("\n" + "\n".join(lines))
    print(f"command: {command}")
    record("Fresh clone to green", fenced("\n".join(lines)), command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
