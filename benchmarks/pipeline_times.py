"""Measure a generated project's pipeline: cold `dvc repro`, a no-op repro, one changed param.

Prints each figure with the command that produced it and the goal beside it. The project is
generated with the template defaults and set up first (setup time is printed, not a goal).
Run: `make bench` (or `uv run python benchmarks/pipeline_times.py --repeat 3`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from generated_project import generate, project_env, timed
from results import fenced, record

GOALS = {"cold repro": 20.0, "no-op repro": 3.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = project_env(scratch)
        project = generate(scratch, scratch / "storage")
        dvc = ["uv", "run", "--locked", "dvc"]
        setup, _ = timed(["make", "setup"], project, env)
        print(f"setup (uv sync --locked --compile-bytecode, warm uv cache): {setup:.1f} s")
        figures: dict[str, tuple[str, list[float]]] = {
            "cold repro": (f"{' '.join(dvc)} repro --force", []),
            "no-op repro": (f"{' '.join(dvc)} repro", []),
            "one param changed": ("edit train.hyperparameters.max_depth; dvc repro", []),
        }
        params = project / "params.yaml"
        original = params.read_text()
        for attempt in range(args.repeat):
            figures["cold repro"][1].append(timed([*dvc, "repro", "--force"], project, env)[0])
            figures["no-op repro"][1].append(timed([*dvc, "repro"], project, env)[0])
            params.write_text(original.replace("max_depth: 8", f"max_depth: {9 + attempt}"))
            figures["one param changed"][1].append(timed([*dvc, "repro"], project, env)[0])
            params.write_text(original)
            timed([*dvc, "repro"], project, env)
    cores = os.cpu_count()
    lines = [f"{'figure':<20} {'median s':>9} {'runs':>24} {'goal':>8}   command ({cores} cores)"]
    for name, (command, samples) in figures.items():
        goal = GOALS.get(name)
        verdict = f"<= {goal:.0f} s" if goal else "-"
        if goal:
            verdict += " ok" if statistics.median(samples) <= goal else " MISSED"
        runs = ", ".join(f"{sample:.1f}" for sample in samples)
        lines.append(
            f"{name:<20} {statistics.median(samples):>9.1f} {runs:>24} {verdict:>8}   {command}"
        )
    print("\n" + "\n".join(lines))
    setup_line = f"setup (uv sync --locked --compile-bytecode, warm uv cache): {setup:.1f} s"
    record(
        "Pipeline",
        fenced("\n".join([*lines, "", setup_line])),
        f"uv run --locked python benchmarks/pipeline_times.py --repeat {args.repeat}",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
