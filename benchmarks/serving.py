"""Serving: the generated project's bento against BentoML's own ceiling and `mlflow models serve`.

Five servers, one at a time, on 127.0.0.1, one worker each, in the same run:
- bentoml: the generated service (`make bento`) of the model one `make pipeline` trained;
- empty: BentoML's ceiling as issue 14 defines it, an empty service with the same request
  shape (the project's record model, batchable, with the project's serve.max_batch_size,
  max_latency_ms and workers) that returns its input, written the way BentoML's docs write a
  service (a sync API, the GC left alone);
- empty-tuned: the same, given what the generated service uses on top of that (an async API
  and its imports frozen out of the GC);
- empty-unbatched: the same as empty-tuned but not batchable, BentoML's fastest path for this
  request shape, which the generated service also takes since it batches on its own
  (serving/batching.py): the gap to it is only what the generated code and its model add;
- mlflow: `mlflow models serve` of the version the train stage registered.
Each gets the same held-out test records: single-record requests from one client (service
time), N of them at concurrency C, a batch run, and, for the generated service, 10,000
requests at concurrency 32 that must all answer 200. Both model servers must predict what
the model file predicts, or the comparison is not fair. Prints a table, then the generated
service's figures as ratios of the others' beside the goals (issue 14).
Run: `uv run --locked python benchmarks/serving.py [--requests 2000 --concurrency 16]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generated_project import CommandFailed, commit_all, generate, project_env, run, timed
from http_load import (
    LoadResult,
    Server,
    free_port,
    group_members,
    group_pids,
    load,
    summarize,
)
from results import record

READY_TIMEOUT_SECONDS = 240.0
# Reads the held-out split the prepare stage wrote, drops the target, and predicts with the
# model file the train stage saved: the reference both servers must agree with.
DUMP_RECORDS = """
import json, sys
from pathlib import Path
from {package}.core.model_file import load_model
from {package}.core.params import load_params
from {package}.core.paths import MODEL_FILE, TEST_SPLIT
from {package}.core.tables import read_table, split_features
target = load_params().data.target
features, _ = split_features(read_table(TEST_SPLIT, target), target)
expected = load_model(Path(MODEL_FILE)).predict(features).tolist()
records = json.loads(features.to_json(orient="records"))
json.dump({{"records": records, "expected": expected}}, sys.stdout)
"""


# BentoML's ceiling for this request shape: the project's own request model, batchable like
# the generated service, returning its input. Written into the scratch project and served
# from there, so it imports the generated package. {define}, {freeze} and {batchable} make
# the ceilings: as issue 14 defined it, tuned as the generated service is, and unbatched.
EMPTY_SERVICE = """
import gc
from typing import Any

import bentoml

from {package}.core.params import load_params
from {package}.core.contract import read_columns
from {package}.serving.payload import record_model, request_model

PARAMS = load_params()
FEATURES, _ = read_columns(PARAMS.data.schema_file, PARAMS.data.target)
SERVE = PARAMS.serve
Request = request_model(record_model(FEATURES), SERVE.max_batch_size)


@bentoml.service(name="empty", workers=SERVE.workers)
class Empty:
    def __init__(self) -> None:
        if {freeze}:
            gc.freeze()  # as the generated service does once loaded: no GC rescans of imports

    @bentoml.api(
        route="/predict", input_spec=Request, batchable={batchable},
        max_batch_size=SERVE.max_batch_size, max_latency_ms=SERVE.max_latency_ms,
    )
    {define} predict(self, records: list[Any]) -> list[Any]:
        return records
"""
# module name -> (how `predict` is defined, whether the GC is frozen, whether BentoML batches)
CEILINGS = {
    "empty": ("def", False, True),
    "empty-tuned": ("async def", True, True),
    "empty-unbatched": ("async def", True, False),
}


@dataclass
class Target:
    """How to start one server and talk to it."""

    name: str
    command: Callable[[int], list[str]]
    ready_path: str
    predict_path: str
    body: Callable[[list[dict[str, Any]]], dict[str, Any]]
    predictions: Callable[[Any], list[Any]] | None  # None: not a model (the empty service)
    stress: bool = False  # also the 10,000 requests at concurrency 32


@dataclass
class Figures:
    ready: float
    alone: LoadResult  # one client, one request at a time: service time without queueing
    idle_rss: float
    peak_rss: float
    single: LoadResult
    batch: LoadResult
    predicted: dict[int, Any]  # record index -> prediction, from single and batch answers
    processes: int
    stress: LoadResult | None = None


def batches(count: int, size: int) -> list[list[int]]:
    """Record indices of each batch body: consecutive records, wrapping around the split."""
    starts = range(0, count, size) if size < count else [0]
    return [[(start + offset) % count for offset in range(size)] for start in starts]


def bench(
    target: Target,
    project: Path,
    env: dict[str, str],
    records: list[dict[str, Any]],
    args: argparse.Namespace,
    log: Path,
) -> Figures:
    port = free_port()
    singles = [json.dumps(target.body([record])).encode() for record in records]
    groups = batches(len(records), args.batch_size)
    bulks = [json.dumps(target.body([records[i] for i in group])).encode() for group in groups]
    command = target.command(port)
    print(f"$ {' '.join(command).replace(str(project) + '/', '')}", flush=True)
    server = Server(command, project, env, log)
    try:
        ready = server.wait_ready(port, target.ready_path, READY_TIMEOUT_SECONDS)
        idle = server.rss_mb()
        members = ", ".join(
            f"{name} {rss / 1024:.0f} MB" for _, name, rss in group_members(server.process.pid)
        )
        print(f"  {target.name}: ready after {ready:.1f} s, {idle:.0f} MB resident ({members})")
        load(port, target.predict_path, singles, 2 * args.concurrency, args.concurrency)  # warm
        alone = load(port, target.predict_path, singles, args.sequential, 1)
        print(f"  {target.name} one client: {summarize(alone)}", flush=True)
        single = load(
            port, target.predict_path, singles, args.requests, args.concurrency, server.rss_mb
        )
        print(f"  {target.name} single: {summarize(single)}", flush=True)
        batch = load(
            port, target.predict_path, bulks, args.batch_requests, args.concurrency, server.rss_mb
        )
        print(f"  {target.name} batch x{args.batch_size}: {summarize(batch)}", flush=True)
        stress = None
        if target.stress:
            stress = load(port, target.predict_path, singles, args.stress_requests, 32)
            print(f"  {target.name} c32: {summarize(stress)}", flush=True)
        processes = len(group_pids(server.process.pid))
        server.rss_mb()
    finally:
        leftovers = server.stop()
    if leftovers:
        raise RuntimeError(f"{target.name}: processes {leftovers} outlived the stop")
    errors = alone.errors + single.errors + batch.errors + (stress.errors if stress else [])
    for error in sorted(set(errors))[:5]:
        print(f"  {target.name} error: {error}")
    if target.predictions is None:
        return Figures(ready, alone, idle, server.peak_rss_mb, single, batch, {}, processes)
    predicted = {index: target.predictions(answer)[0] for index, answer in single.answers.items()}
    batch_predicted: dict[int, Any] = {}
    for number, answer in batch.answers.items():
        batch_predicted.update(zip(groups[number], target.predictions(answer), strict=True))
    mismatched = sum(predicted.get(i, value) != value for i, value in batch_predicted.items())
    if mismatched:
        print(f"  {target.name}: {mismatched} records predicted differently alone and in a batch")
    return Figures(
        ready,
        alone,
        idle,
        server.peak_rss_mb,
        single,
        batch,
        {**batch_predicted, **predicted},
        processes,
        stress,
    )


def prepare(project: Path, env: dict[str, str]) -> None:
    for target in ("setup", "pipeline"):
        seconds, _ = timed(["make", target], project, env)
        print(f"make {target}: {seconds:.1f} s", flush=True)
    commit_all(project, env, "Baseline model")  # the bento version is the commit SHA
    seconds, _ = timed(["make", "bento"], project, env)
    print(f"make bento: {seconds:.1f} s", flush=True)


def ceiling_module(name: str) -> str:
    return f"{name.replace('-', '_')}_service"


def write_ceilings(project: Path, package: str) -> None:
    for name, (define, freeze, batchable) in CEILINGS.items():
        source = EMPTY_SERVICE.format(
            package=package, define=define, freeze=freeze, batchable=batchable
        )
        (project / f"{ceiling_module(name)}.py").write_text(source)


def bentoml_serve(venv: Path, service: str) -> Callable[[int], list[str]]:
    """`bentoml serve` of a bento or a `module:Class`, on 127.0.0.1 at the port given."""
    return lambda port: [
        str(venv / "bentoml"),
        "serve",
        service,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def targets(project: Path, package: str, env: dict[str, str]) -> list[Target]:
    venv = project / ".venv" / "bin"
    bento = run(["uv", "run", "--locked", package, "bento-path"], project, env)
    bento = bento.strip().splitlines()[-1]
    run_info = json.loads((project / "models" / "mlflow_run.json").read_text())
    model_uri = f"models:/{package}/{run_info['registered_version'] or 'latest'}"
    return [
        Target(
            name="bentoml",
            command=bentoml_serve(venv, bento),
            ready_path="/readyz",
            predict_path="/predict",
            body=lambda rows: {"records": rows},
            predictions=lambda answer: [item["prediction"] for item in answer],
            stress=True,
        ),
        *(
            Target(
                name=name,
                command=bentoml_serve(venv, f"{ceiling_module(name)}:Empty"),
                ready_path="/readyz",
                predict_path="/predict",
                body=lambda rows: {"records": rows},
                predictions=None,
            )
            for name in CEILINGS
        ),
        Target(
            name="mlflow",
            command=lambda port: [
                str(venv / "mlflow"),
                "models",
                "serve",
                "-m",
                model_uri,
                "--env-manager",
                "local",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "1",
            ],
            ready_path="/ping",
            predict_path="/invocations",
            body=lambda rows: {"dataframe_records": rows},
            predictions=lambda answer: answer["predictions"],
        ),
    ]


def agreement(results: dict[str, Figures], expected: list[Any]) -> list[str]:
    lines = []
    names = [name for name in results if results[name].predicted]
    for name in names:
        got = results[name].predicted
        same = sum(got[i] == expected[i] for i in got)
        lines.append(f"{name} vs the model file: {same}/{len(got)} records agree")
    first, second = (results[name].predicted for name in names)
    common = sorted(set(first) & set(second))
    same = sum(first[i] == second[i] for i in common)
    lines.append(f"{names[0]} vs {names[1]}: {same}/{len(common)} records agree")
    return lines


def table(results: dict[str, Figures], args: argparse.Namespace) -> str:
    rows = [
        "| server | ready s | 1 client p50 ms | req/s | p50 ms | p99 ms | errors "
        f"| batch x{args.batch_size} req/s | records/s | batch p50 ms | batch p99 ms "
        "| RSS idle MB | RSS peak MB | processes |",
        "|---|" + "---:|" * 13,
    ]
    for name, fig in results.items():
        single, batch = fig.single, fig.batch
        rows.append(
            f"| {name} | {fig.ready:.1f} | {fig.alone.percentile(0.5):.1f} "
            f"| {single.rate:.0f} | {single.percentile(0.5):.1f} "
            f"| {single.percentile(0.99):.1f} "
            f"| {len(fig.alone.errors) + len(single.errors) + len(batch.errors)} "
            f"| {batch.rate:.1f} | {batch.rate * args.batch_size:.0f} "
            f"| {batch.percentile(0.5):.0f} | {batch.percentile(0.99):.0f} "
            f"| {fig.idle_rss:.0f} | {fig.peak_rss:.0f} | {fig.processes} |"
        )
    return "\n".join(rows)


def ratios(results: dict[str, Figures], args: argparse.Namespace) -> str:
    """The generated service's figures as ratios of the others', beside issue 14's goals: one
    column per ceiling."""
    ours, mlflow = results["bentoml"], results["mlflow"]
    ceilings = [results[name] for name in CEILINGS]
    stress = ours.stress
    stress_errors = len(stress.errors) if stress else -1

    def each(figure: Callable[[Figures], float], form: str, unit: str = "") -> str:
        return " | ".join(
            format(figure(ours) / figure(ceiling), form) + unit for ceiling in ceilings
        )

    def same(value: str) -> str:
        return " | ".join(value for _ in ceilings)

    rows = [
        f"| the generated service | against {' | against '.join(CEILINGS)} | goal |",
        "|---|" + "---:|" * len(ceilings) + "---|",
        f"| throughput at c{args.concurrency}, share of the ceiling's "
        f"| {each(lambda f: f.single.rate, '.0%')} | >= 50% |",
        f"| p99 at c{args.concurrency}, times the ceiling's "
        f"| {each(lambda f: f.single.percentile(0.99), '.2f', 'x')} | <= 1.5x |",
        f"| throughput, times `mlflow models serve`'s "
        f"| {same(f'{ours.single.rate / mlflow.single.rate:.1f}x')} | >= 10x |",
        f"| errors over {args.stress_requests} requests at c32 | {same(str(stress_errors))} | 0 |",
        f"| one client p50, times the ceiling's "
        f"| {each(lambda f: f.alone.percentile(0.5), '.2f', 'x')} | (reported) |",
    ]
    return "\n".join(rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="single-record requests")
    parser.add_argument("--concurrency", type=int, default=16, help="client threads")
    parser.add_argument("--batch-size", type=int, default=100, help="records per batch request")
    parser.add_argument("--batch-requests", type=int, default=200, help="batch requests")
    parser.add_argument("--sequential", type=int, default=200, help="requests from one client")
    parser.add_argument(
        "--stress-requests", type=int, default=10_000, help="requests at c32, all must be 200"
    )
    args = parser.parse_args()
    command = (
        "uv run --locked python benchmarks/serving.py "
        f"--requests {args.requests} --concurrency {args.concurrency} "
        f"--batch-size {args.batch_size} --batch-requests {args.batch_requests} "
        f"--sequential {args.sequential} --stress-requests {args.stress_requests}"
    )
    with tempfile.TemporaryDirectory() as directory:
        scratch = Path(directory)
        env = project_env(scratch)
        project = generate(scratch, scratch / "storage")
        package = next((project / "src").iterdir()).name
        try:
            prepare(project, env)
            dump = run(
                ["uv", "run", "--locked", "python", "-c", DUMP_RECORDS.format(package=package)],
                project,
                env,
            )
        except CommandFailed as failure:
            print(failure, file=sys.stderr)
            return 1
        split = json.loads(dump.strip().splitlines()[-1])
        records, expected = split["records"], split["expected"]
        print(f"{len(records)} held-out records from data/prepared/test.parquet", flush=True)
        write_ceilings(project, package)
        venv = project / ".venv"
        serve_env = {
            **env,
            "PATH": f"{venv / 'bin'}{os.pathsep}{env['PATH']}",  # mlflow execs uvicorn by name
            "VIRTUAL_ENV": str(venv),
            "MLFLOW_TRACKING_URI": "sqlite:///mlflow.db",
        }
        results: dict[str, Figures] = {}
        for target in targets(project, package, env):
            log = scratch / f"{target.name}.log"
            results[target.name] = bench(target, project, serve_env, records, args, log)
    agreed = agreement(results, expected)
    print()
    for line in agreed:
        print(line)
    print(f"\n{table(results, args)}\n")
    print(f"{ratios(results, args)}\n")
    setting = (
        f"{os.cpu_count()} cores shared by client and server; one server worker each; "
        "the client is this Python process (threads, keep-alive http.client)."
    )
    print(setting)
    print(f"command: {command}")
    figures = [table(results, args), ratios(results, args), setting, "; ".join(agreed) + "."]
    record("Serving", "\n\n".join(figures), command)
    return 0


if __name__ == "__main__":
    sys.exit(main())
