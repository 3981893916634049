"""The scale curve: a cold `make pipeline` of a regression project at 10k, 100k and 1M rows.

Each table is drawn from the sample data's distributions with its fixed seed
(`scripts/make_sample_data.py --rows`), so nothing is downloaded and every run sees the same
bytes. Per size it prints the wall time of each stage, the whole run, and the peak memory of
the largest process; then the PR review's own steps at 100k rows (`make reproduce`,
`make check-lock`, `make review`), and the goals beside the figures. A stage's time runs from
DVC's "Running stage" line to the next, so it includes DVC's own hashing of that stage.
Run: `make bench` (or `uv run python benchmarks/scale.py`).
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generated_project import (
    TEMPLATE,
    CommandFailed,
    commit_all,
    generate,
    project_env,
    run,
    timed,
)
from results import fenced, record

SIZES = (10_000, 100_000, 1_000_000)
REVIEW_ROWS = 100_000
GOAL_SECONDS = {1_000_000: 120.0}  # cold, on 2 cores
GOAL_PEAK_MB = 2048.0
STAGE_LINE = re.compile(r"Running stage '([\w-]+)'")
# Runs a command and prints the largest max-RSS among its (waited-for) descendants, in kB.
PEAK_RSS = (
    "import resource, subprocess, sys; "
    "code = subprocess.call(sys.argv[1:]); "
    "print(f'PEAK_RSS_KB {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}'); "
    "sys.exit(code)"
)


def sample_tables() -> object:
    """scripts/make_sample_data.py as a module: the one definition of the sample tables."""
    path = TEMPLATE / "scripts" / "make_sample_data.py"
    spec = importlib.util.spec_from_file_location("make_sample_data", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pipeline_run(project: Path, env: dict[str, str]) -> tuple[float, dict[str, float], float]:
    """A `make pipeline`: total seconds, seconds per stage, and peak memory in MB."""
    command = [sys.executable, "-c", PEAK_RSS, "make", "pipeline"]
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []
    lines: list[str] = []
    with subprocess.Popen(
        command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if match := STAGE_LINE.search(line):
                marks.append((match[1], time.perf_counter()))
    finished = time.perf_counter()
    if process.returncode != 0:
        tail = "".join(lines[-30:])
        raise CommandFailed(f"{tail}`make pipeline` exited {process.returncode} in {project}")
    ends = [at for _, at in marks[1:]] + [finished]
    stages = {name: end - start for (name, start), end in zip(marks, ends, strict=True)}
    peak_kb = next(int(line.split()[1]) for line in lines if line.startswith("PEAK_RSS_KB"))
    return finished - started, stages, peak_kb / 1024


def review_steps(project: Path, env: dict[str, str]) -> dict[str, float]:
    """The PR review's steps on a branch whose outputs were committed: the CI lane's cost."""
    run(["uv", "run", "--locked", "dvc", "add", "-q", "data/raw/data.csv"], project, env)
    commit_all(project, env, f"{REVIEW_ROWS} rows")
    run(["git", "checkout", "-q", "-B", "bench-pr"], project, env)
    steps = {}
    for command in (["make", "reproduce"], ["make", "check-lock"], ["make", "review", "BASE=main"]):
        steps[" ".join(command)] = timed(command, project, env)[0]
    run(["git", "checkout", "-q", "main"], project, env)
    return steps


def verdict(value: float, goal: float | None, unit: str) -> str:
    if goal is None:
        return ""
    return f"goal <= {goal:.0f} {unit}: {'ok' if value <= goal else 'MISSED'}"


Result = tuple[float, dict[str, float], float]


def curve(results: dict[int, Result]) -> list[str]:
    """The table of sizes, and any stage whose time grows faster than its rows."""
    cores = os.cpu_count()
    stage_names = list(next(iter(results.values()))[1])
    lines = [f"Cold `make pipeline`, regression, {cores} cores (seconds; peak = largest process)"]
    header = f"{'rows':>10} {'total':>7} " + " ".join(f"{n:>9}" for n in stage_names)
    lines.append(f"{header} {'peak MB':>8}   goals")
    for rows, (total, stages, peak) in results.items():
        cells = " ".join(f"{stages.get(name, 0.0):>9.1f}" for name in stage_names)
        goals = "; ".join(
            filter(
                None,
                [verdict(total, GOAL_SECONDS.get(rows), "s"), verdict(peak, GOAL_PEAK_MB, "MB")],
            )
        )
        lines.append(f"{rows:>10,} {total:>7.1f} {cells} {peak:>8.0f}   {goals}")
    sizes = sorted(results)
    for small, large in itertools.pairwise(sizes):
        growth = large / small
        for name in stage_names:
            ratio = results[large][1][name] / max(results[small][1][name], 1e-9)
            if ratio > growth * 1.2:
                lines.append(f"worse than linear: {name} x{ratio:.1f} for x{growth:.0f} rows")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    args = parser.parse_args()
    tables = sample_tables()
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = project_env(scratch)
        project = generate(scratch, scratch / "storage", task="regression")
        setup, _ = timed(["make", "setup"], project, env)
        commit_all(project, env, "generated")
        print(f"setup (uv sync --locked --compile-bytecode): {setup:.1f} s", flush=True)
        results, review = {}, {}
        for rows in args.sizes:
            tables.write_table("regression", rows, project / "data" / "raw" / "data.csv")
            run(["make", "schema"], project, env)  # the contract of this table's ranges
            results[rows] = pipeline_run(project, env)
            total, stages, peak = results[rows]
            per_stage = ", ".join(f"{name} {seconds:.1f}" for name, seconds in stages.items())
            print(f"{rows:>9,} rows: {total:.1f} s ({per_stage}), peak {peak:.0f} MB", flush=True)
            if rows == REVIEW_ROWS:
                review = review_steps(project, env)
    lines = curve(results)
    if review:
        lines += ["", f"PR review steps at {REVIEW_ROWS:,} rows:"]
        lines += [f"  {step:<22} {seconds:>6.1f} s" for step, seconds in review.items()]
    print("\n" + "\n".join(lines))
    sizes = " ".join(str(rows) for rows in args.sizes)
    command = f"uv run --locked python benchmarks/scale.py --sizes {sizes}"
    record("Scale curve", fenced("\n".join(lines)), command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
