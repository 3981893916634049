"""Reading a large inference log back: the peak memory and time of drift and performance.

Generates a project with the defaults (`make setup` only: no model is needed to read a log),
writes an inference log of N lines in the service's format (an id, a time, every feature of
the served record and the prediction, drawn from the contract's columns with a fixed seed),
and a labels CSV for every tenth id. Then, each in a fresh process so its peak RSS is its own:
- drift's reader (`monitoring/drift.py:read_current`), which keeps every feature;
- the performance check's join (`monitoring/labels.py:join_labels`), which keeps the id, the
  prediction and the sensitive features.
Prints the log's size and, per reader, rows kept, peak RSS above the interpreter's imports,
and seconds.
Run: `uv run --locked python benchmarks/inference_log.py [--lines 500000]`.
"""

from __future__ import annotations

import argparse
import sys

from generated_project import CommandFailed, run, scratch_project, timed
from results import record

# Writes LINES log lines and a labels CSV from the project's own contract, in its package.
WRITE_LOG = """
import csv, json, random, sys
from {package}.core.params import load_params
from {package}.core.contract import read_columns
params = load_params()
features, target = read_columns(params.data.schema_file, params.data.target)
draw = random.Random(0)

def value(column):
    if column.categories:
        return draw.choice(sorted(column.categories, key=str))
    if column.kind is bool:
        return draw.random() < 0.5
    if column.kind is str:
        return "text"
    low = column.bounds.get("ge", column.bounds.get("gt", 0.0))
    high = column.bounds.get("le", column.bounds.get("lt", low + 100.0))
    number = draw.uniform(low, high)
    return round(number) if column.kind is int else number

outcomes = sorted(target.categories, key=str) if target.categories else [0.0, 1.0]
with open(sys.argv[1], "w") as log, open(sys.argv[2], "w", newline="") as labels:
    writer = csv.writer(labels)
    writer.writerow(["id", "label"])
    for line in range(int(sys.argv[3])):
        prediction_id = f"{{line:032x}}-0"
        record = {{column.name: value(column) for column in features}}
        entry = {{"id": prediction_id, "time": 1.7e9 + line, "features": record,
                  "prediction": draw.choice(outcomes)}}
        log.write(json.dumps(entry) + "\\n")
        if line % 10 == 0:
            writer.writerow([prediction_id, draw.choice(outcomes)])
"""

# One reader, in a process of its own: rows kept, peak RSS above the imports, seconds.
READ = """
import resource, sys, time
from pathlib import Path
from {package}.core.params import load_params
from {package}.monitoring.drift import read_current
from {package}.monitoring.labels import join_labels
params = load_params()
log, labels, reader = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if reader == "drift":
    rows = len(read_current(log))
else:
    sensitive = params.evaluate.sensitive_features
    rows = join_labels(log, labels, params.data.target, sensitive).rows
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(rows, (peak - before) / 1024, seconds)
"""

READERS = {
    "drift (`read_current`: every feature)": "drift",
    "performance (`join_labels`: id, prediction, sensitive features)": "performance",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500_000, help="inference log lines")
    args = parser.parse_args()
    with scratch_project() as (project, env, package):
        log, labels = project.parent / "inference.jsonl", project.parent / "labels.csv"
        python = ["uv", "run", "--locked", "python", "-c"]
        try:
            seconds, _ = timed(["make", "setup"], project, env)
            print(f"make setup: {seconds:.1f} s", flush=True)
            write = WRITE_LOG.format(package=package)
            run([*python, write, str(log), str(labels), str(args.lines)], project, env)
            size = f"inference log: {args.lines} lines, {log.stat().st_size / 1e6:.0f} MB"
            print(f"{size}\n")
            table = [
                "| reader | rows kept | peak RSS above imports | seconds |",
                "|---|---:|---:|---:|",
            ]
            print("\n".join(table))
            for title, reader in READERS.items():
                read = READ.format(package=package)
                output = run([*python, read, str(log), str(labels), reader], project, env)
                rows, peak, took = output.strip().splitlines()[-1].split()
                row = f"| {title} | {int(rows)} | {float(peak):.0f} MB | {float(took):.1f} |"
                print(row)
                table.append(row)
        except CommandFailed as failure:
            print(failure, file=sys.stderr)
            return 1
    command = f"uv run --locked python benchmarks/inference_log.py --lines {args.lines}"
    print(f"\ncommand: {command}")
    record("Inference log read-back", f"{size}.\n\n" + "\n".join(table), command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
