"""How much the review's cost timings move when nothing changed: the noise its margins absorb.

Generates a project with the defaults, runs its pipeline, commits it as main, and opens an
unchanged PR (a README line). Then runs the PR's review (`<package> review --base main`) N
times, each in a fresh process as CI runs it, and reads the figures it wrote to
reports/cost.json. Main's model and the PR's are the same file, so every difference between
them is the machine's noise. Prints, per timing, main's median and the spread of the PR's
change against main over the runs (relative and absolute), and how many runs the gate failed:
review.cost's defaults must sit above that spread, or an unchanged PR could fail.
Run: `uv run --locked python benchmarks/review_cost_noise.py [--runs 10]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys

from generated_project import CommandFailed, commit_all, run, scratch_project, timed
from results import record

TIMINGS = (
    "latency_one_p50_ms",
    "latency_one_p95_ms",
    "latency_batch_p50_ms",
    "latency_batch_p95_ms",
    "cost_per_million",
)


def spread(values: list[float], unit: str = "") -> str:
    return " / ".join(f"{value:+.3g}{unit}" for value in (min(values), max(values)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="reviews of the unchanged PR")
    args = parser.parse_args()
    runs: list[dict] = []
    failed = 0
    with scratch_project() as (project, env, package):
        try:
            for step in (["make", "setup"], ["make", "pipeline"]):
                seconds, _ = timed(step, project, env)
                print(f"{' '.join(step)}: {seconds:.1f} s", flush=True)
            commit_all(project, env, "main")
            run(["git", "switch", "-q", "-c", "unchanged"], project, env)
            with open(project / "README.md", "a") as readme:
                readme.write("\nA documentation-only change.\n")
            commit_all(project, env, "unchanged: a README line")
            review = ["uv", "run", "--locked", package, "review", "--base", "main"]
            for index in range(args.runs):
                try:
                    seconds, _ = timed(review, project, env)
                except CommandFailed:
                    failed, seconds = failed + 1, float("nan")
                runs.append(json.loads((project / "reports/cost.json").read_text()))
                print(f"review {index + 1}: {seconds:.1f} s", flush=True)
        except CommandFailed as failure:
            print(failure, file=sys.stderr)
            return 1
    table = [
        "| figure | main's median | PR vs main, relative: min / max | absolute: min / max |",
        "|---|---:|---:|---:|",
    ]
    for name in TIMINGS:
        mains = [found["main"][name] for found in runs]
        prs = [found["pr"][name] for found in runs]
        relative = [(pr - main) / main * 100 for main, pr in zip(mains, prs, strict=True)]
        absolute = [pr - main for main, pr in zip(mains, prs, strict=True)]
        unit = " ms" if name.endswith("_ms") else ""
        table.append(
            f"| {name} | {statistics.median(mains):.3g}{unit} | {spread(relative, '%')} "
            f"| {spread(absolute, unit)} |"
        )
    summary = f"{args.runs} reviews of an unchanged PR; the gate failed {failed} of them."
    print("\n".join(["", summary, "", *table]))
    command = f"uv run --locked python benchmarks/review_cost_noise.py --runs {args.runs}"
    print(f"\ncommand: {command}")
    record("Review cost noise", f"{summary}\n\n" + "\n".join(table), command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
