"""Where each millisecond of a prediction request goes, in the generated service's worker.

Serves the bento of a freshly generated project on 127.0.0.1, loads it with single-record
requests at concurrency C, and meanwhile samples the worker with py-spy. The worker's CPU
time over the load (from /proc) divided by the requests gives the CPU cost per request; each
sample is charged to the innermost library on its stack that we can name (our package, the
model's library, BentoML, the HTTP stack, pydantic, the Prometheus client), so the table says
how many of those milliseconds are ours and how many are the framework's or the model's.
Run: `uv run --locked python benchmarks/serving_profile.py [--requests 3000 --concurrency 16]`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

from generated_project import CommandFailed, commit_all, run, scratch_project, timed
from http_load import Server, free_port, load, summarize
from results import record

READY_TIMEOUT_SECONDS = 240.0
SAMPLES_PER_SECOND = 200
# Innermost frame first wins: a pandas call made by our code is ours, one made by sklearn is
# the model's. py-spy names a library's file relative to site-packages ("sklearn/...").
OWNERS = (
    ("the model (scikit-learn, joblib)", ("sklearn/", "joblib/")),
    ("the Prometheus client", ("prometheus_client/",)),
    ("pydantic (request validation)", ("pydantic/", "pydantic_core/")),
    ("BentoML", ("bentoml/", "_bentoml_sdk/", "_bentoml_impl/", "opentelemetry/")),
    ("HTTP stack (uvicorn, starlette, anyio)", ("uvicorn/", "starlette/", "anyio/", "h11/")),
)
IDLE = "waiting on sockets (idle)"
READ_RECORDS = """
import json, sys
from {package}.core.params import load_params
from {package}.core.paths import TEST_SPLIT
from {package}.core.tables import read_table, split_features
target = load_params().data.target
features, _ = split_features(read_table(TEST_SPLIT, target), target)
json.dump(json.loads(features.to_json(orient="records")), sys.stdout)
"""


def stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name (which may hold spaces): field 3 onwards."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def tree_cpu_seconds(root: int) -> float:
    """User plus system CPU time of a process and its descendants, from /proc.

    BentoML's workers are children of the server, not always in its process group.
    """
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int(stat_fields(int(entry.name))[1])
            except (OSError, IndexError):
                continue
    tree, grown = {root}, True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= children
        grown = bool(children)
    total = 0.0
    for pid in tree:
        try:
            fields = stat_fields(pid)
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def owner(stack: str, package: str) -> str:
    frames = [frame for frame in stack.split(";") if "(" in frame]
    if frames and "selector" in frames[-1]:
        return IDLE
    for frame in reversed(frames):
        location = frame[frame.rfind("(") + 1 :]
        if location.startswith(f"{package}/") or f"/src/{package}/" in location:
            return "ours (the generated package)"
        for name, patterns in OWNERS:
            if location.startswith(patterns):
                return name
    return "other (Python runtime, asyncio)"


def shares(raw: Path, package: str) -> Counter[str]:
    counts: Counter[str] = Counter()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            counts[owner(stack, package)] += int(count)
    return counts


def profile(project: Path, package: str, env: dict[str, str], args: argparse.Namespace) -> int:
    records = json.loads(
        run(
            ["uv", "run", "--locked", "python", "-c", READ_RECORDS.format(package=package)],
            project,
            env,
        )
        .strip()
        .splitlines()[-1]
    )
    bodies = [json.dumps({"records": [record]}).encode() for record in records]
    bento = run(["uv", "run", "--locked", package, "bento-path"], project, env)
    bento = bento.strip().splitlines()[-1]
    port = free_port()
    command = [str(project / ".venv/bin/bentoml"), "serve", bento, "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    server = Server(command, project, env, project.parent / "server.log")
    raw = project.parent / "profile.raw"
    try:
        server.wait_ready(port, "/readyz", READY_TIMEOUT_SECONDS)
        load(port, "/predict", bodies, 4 * args.concurrency, args.concurrency)  # warm up
        root = server.process.pid
        before = tree_cpu_seconds(root)
        spy_command = [shutil.which("py-spy") or "py-spy", "record", "--subprocesses"]
        spy_command += ["--pid", str(root), "--format", "raw", "--nonblocking"]
        spy_command += ["--rate", str(SAMPLES_PER_SECOND), "--output", str(raw)]
        spy = subprocess.Popen(
            spy_command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        result = load(port, "/predict", bodies, args.requests, args.concurrency)
        spent = tree_cpu_seconds(root) - before
        spy.send_signal(2)  # py-spy writes its file on SIGINT
        _, error = spy.communicate(timeout=60)
    finally:
        server.stop()
    if not raw.exists():
        print(f"py-spy wrote no profile (it needs ptrace rights):\n{error}", file=sys.stderr)
        return 1
    counts = shares(raw, package)
    busy = sum(count for name, count in counts.items() if name != IDLE)
    per_request = 1000 * spent / result.requests
    cpu = f"server CPU (all its processes): {spent:.1f} s, {per_request:.2f} ms per request"
    print(f"\n{summarize(result)}")
    print(cpu)
    table = ["| where (innermost library we can name) | share of busy samples | ms per request |"]
    table.append("|---|---:|---:|")
    for name, count in counts.most_common():
        if name != IDLE:
            table.append(f"| {name} | {count / busy:.1%} | {per_request * count / busy:.2f} |")
    print("\n" + "\n".join(table))
    samples = (f"{busy} busy samples of {sum(counts.values())} ({IDLE}: the rest); "
               f"{os.cpu_count()} cores shared by the load client and the server.")  # fmt: skip
    print(f"\n{samples}")
    command = "uv run --locked python benchmarks/serving_profile.py "
    command += f"--requests {args.requests} --concurrency {args.concurrency}"
    figures = [f"{summarize(result)}; {cpu}.", "\n".join(table), samples]
    record("Serving profile", "\n\n".join(figures), command)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="single-record requests")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    args = parser.parse_args()
    with scratch_project() as (project, env, package):
        try:
            for target in ("setup", "pipeline"):
                seconds, _ = timed(["make", target], project, env)
                print(f"make {target}: {seconds:.1f} s", flush=True)
            commit_all(project, env, "Baseline model")
            timed(["make", "bento"], project, env)
            return profile(project, package, env, args)
        except CommandFailed as failure:
            print(failure, file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
