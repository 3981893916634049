"""What serving the PR's model costs against main's, judged by main's rules. Both are timed in
this one process on the service's call path, in alternating rounds, so noise hits both alike.
Main's model is read as data and loaded by the skops loader (TRUSTED_TYPES only). The figures
never go to metrics.json or dvc.lock: they differ every run, and check-lock needs identical ones."""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
import time
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline
from threadpoolctl import ThreadpoolController

from ..core import reports
from ..core.git import file_at
from ..core.lockfile import recorded_outputs
from ..core.model_call import for_serving, one_warning_filter
from ..core.model_file import load_model
from ..core.params import MEASURED_FIGURES, CostLimit, CostParams
from ..core.paths import LOCK_FILE, MODEL_FILE, TEST_SPLIT, TRAINING_COST
from ..core.reports import ICONS
from ..core.tables import read_table, split_features
from ..core.tracking import log_to_training_run

ROUNDS = 5  # alternating rounds per model; the median of their figures is compared
CALLS = 10  # predictions per round, for one record and for one batch each
UNITS = {"_ms": " ms", "_mb": " MB", "_seconds": " s"}


@dataclass(frozen=True)
class CostRow:
    name: str
    main: float | None
    pr: float | None
    rule: str
    status: str


def complexity(model: Pipeline) -> tuple[int, str] | None:
    """The final estimator's size in nodes (tree ensembles) or coefficients (linear models)."""
    estimator = model.steps[-1][1] if isinstance(model, Pipeline) else model
    if predictors := getattr(estimator, "_predictors", None):  # histogram gradient boosting
        trees = [tree for iteration in predictors for tree in iteration]
        nodes = sum(len(tree.nodes) for tree in trees)
    elif (members := getattr(estimator, "estimators_", None)) is not None:
        trees = [tree for tree in np.ravel(members) if hasattr(tree, "tree_")]
        nodes = sum(tree.tree_.node_count for tree in trees)
    elif (coefficients := getattr(estimator, "coef_", None)) is not None:
        count = np.size(coefficients) + np.size(getattr(estimator, "intercept_", 0))
        return int(count), f"{count:,} coefficients"
    else:
        return None
    return int(nodes), f"{len(trees):,} trees, {nodes:,} nodes"


def timed(model: Pipeline, frame: pd.DataFrame) -> tuple[float, float]:
    """Wall milliseconds and CPU seconds of one prediction."""
    wall, cpu = time.perf_counter(), time.process_time()
    model.predict(frame)
    return (time.perf_counter() - wall) * 1000, time.process_time() - cpu


def latencies(models: dict[str, Pipeline], features: pd.DataFrame, batch: int) -> dict:
    """{side: {figure: median over rounds}}. The models take turns call by call, each first every
    other time, so a burst of load on a shared runner slows both."""
    rows = np.random.default_rng(0).integers(0, len(features), size=(CALLS, batch))
    frames = [(features.iloc[[row[0]]], features.iloc[row]) for row in rows]
    found = []
    with ThreadpoolController().limit(limits=1, user_api="openmp"), one_warning_filter():
        for model in models.values():
            model.predict(frames[0][1])  # warm up: first-call allocations are not serving
        for index, (call, (one, many)) in itertools.product(range(ROUNDS), enumerate(frames)):
            for side in list(models) if (index + call) % 2 == 0 else reversed(models):
                one_ms = timed(models[side], one)[0]
                found.append((side, index, one_ms, *timed(models[side], many)))
    times = pd.DataFrame(found, columns=["side", "round", "one", "batch", "cpu"])
    per_round = times.groupby(["side", "round"]).agg(
        latency_one_p50_ms=("one", "median"),
        latency_one_p95_ms=("one", lambda ms: ms.quantile(0.95)),
        latency_batch_p50_ms=("batch", "median"),
        latency_batch_p95_ms=("batch", lambda ms: ms.quantile(0.95)),
        cpu_ms_per_record=("cpu", lambda seconds: seconds.sum() * 1000 / (CALLS * batch)),
    )
    return {side: dict(per_round.loc[side].median()) for side in models}


def main_model_bytes(base_sha: str, workspace: bytes) -> tuple[bytes | None, str]:
    """Main's model file as data, or None and why: the workspace's own file when main's
    dvc.lock records the same md5, else main's DVC output from the cache or the remote."""
    main_md5 = recorded_outputs(file_at(base_sha, LOCK_FILE) or "").get(MODEL_FILE.as_posix())
    if main_md5 is None:
        return None, "main records no model in dvc.lock: the PR's figures alone"
    if hashlib.md5(workspace).hexdigest() == main_md5:
        return workspace, ""
    import dvc.api

    try:
        return dvc.api.read(MODEL_FILE.as_posix(), rev=base_sha, mode="rb"), ""
    except Exception as error:  # dvc raises many kinds: remote, credentials, missing
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        return None, f"main's model could not be read ({reason}): the PR's figures alone"


def figures(
    data: bytes, model: Pipeline, timings: dict[str, float], price: float
) -> dict[str, float | None]:
    found = complexity(model)
    cost = timings["cpu_ms_per_record"] / 1000 * 1_000_000 / 3600 * price
    return {
        **{key: value for key, value in timings.items() if key != "cpu_ms_per_record"},
        "cost_per_million": cost,
        "model_size_mb": len(data) / 1_000_000,
        "complexity": None if found is None else found[0],
    }


def judge(name: str, main: float | None, pr: float | None, limit: CostLimit | None) -> str:
    """A measured figure regresses only beyond both margins, a deterministic one beyond the
    relative margin; it improves by the same margins the other way, so noise stays quiet."""
    if main is None or pr is None:
        return "not gated"
    if pr == main:
        return "unchanged"
    if limit is None or min(main, pr) <= 0:
        return "not gated"
    low, high = sorted((main, pr))
    beyond = high - low > limit.max_relative_increase * low
    if name in MEASURED_FIGURES:
        beyond = beyond and high - low > (limit.max_increase or 0)
    if not beyond:
        return "within tolerance"
    return "regressed" if pr > main else "improved"


def describe(name: str, limit: CostLimit | None) -> str:
    if limit is None:
        return "not gated"
    rule = f"fails above +{limit.max_relative_increase:.0%}"
    if name in MEASURED_FIGURES:
        rule += f" and +{limit.max_increase:g}{unit(name)}"
    return rule


def unit(name: str) -> str:
    return next((text for suffix, text in UNITS.items() if name.endswith(suffix)), "")


def shown(name: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.3g}{unit(name)}" if value < 100 else f"{value:,.0f}{unit(name)}"


def change(main: float | None, pr: float | None) -> str:
    if main is None or pr is None or main == 0:
        return "n/a"
    return f"{(pr - main) / main:+.0%}"


def rows_of(
    main: dict[str, float | None], pr: dict[str, float | None], limits: dict[str, CostLimit]
) -> list[CostRow]:
    """One row per PR figure; without main's figures (no baseline) each is new."""
    rows = []
    for name, value in pr.items():
        limit = limits.get(name)
        status = judge(name, main.get(name), value, limit) if main else "new"
        rows.append(CostRow(name, main.get(name), value, describe(name, limit), status))
    return rows


def table(rows: list[CostRow], notes: list[str]) -> str:
    lines = ["### Cost", ""] + [f"{note}\n" for note in notes if note]
    cells = ([row.name, shown(row.name, row.main), shown(row.name, row.pr),
              change(row.main, row.pr), row.rule, ICONS[row.status]] for row in rows)  # fmt: skip
    header = ["figure", "main", "PR", "change", "rule", "status"]
    return "\n".join([*lines, reports.table(header, cells, "lrrr")])


@dataclass(frozen=True)
class Cost:
    markdown: str
    regressions: list[str]
    main: dict[str, float | None]
    pr: dict[str, float | None]


def measure(base_sha: str, params: CostParams, target: str) -> Cost:
    """Main's and the workspace's model, timed on the test split's records, by main's rules."""
    if missing := [path for path in (MODEL_FILE, TEST_SPLIT) if not path.exists()]:
        note = f"Not measured: {missing[0]} is not in this workspace (nothing was reproduced)."
        return Cost(f"### Cost\n\n{note}", [], {}, {})
    features, _ = split_features(read_table(TEST_SPLIT, target), target)
    pr_data = MODEL_FILE.read_bytes()
    main_data, note = main_model_bytes(base_sha, pr_data)
    models = {"pr": for_serving(load_model(MODEL_FILE))}
    if main_data is pr_data:
        models["main"] = models["pr"]  # the same file: loaded once, timed as both sides
    elif main_data is not None:
        with tempfile.TemporaryDirectory() as folder:
            copy = Path(folder) / MODEL_FILE.name
            copy.write_bytes(main_data)
            models["main"] = for_serving(load_model(copy))
    timings = latencies(models, features, min(params.batch_records, len(features)))
    pr = figures(pr_data, models["pr"], timings["pr"], params.price_per_core_hour)
    with suppress(OSError, json.JSONDecodeError):  # this machine's fit, if trained here
        pr.update(json.loads(TRAINING_COST.read_text()))
    main: dict[str, float | None] = {}
    if main_data is not None:
        main = figures(main_data, models["main"], timings["main"], params.price_per_core_hour)
    rows = rows_of(main, pr, params.limits)
    notes = [
        note,
        "How estimated: cost_per_million is the CPU hours that a million predictions take, "
        f"timed in batches of {params.batch_records} on one thread, times "
        f"review.cost.price_per_core_hour ({params.price_per_core_hour:g}); the service's "
        "HTTP handling is not counted.",
    ]
    if found := complexity(models["pr"]):
        notes.append(f"complexity: the PR's model has {found[1]}.")
    regressions = [row.name for row in rows if row.status == "regressed"]
    return Cost(table(rows, notes), regressions, main, pr)


def save(cost: Cost, path: Path) -> None:
    """The figures as JSON beside the report, and on the PR's MLflow run if there is one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"main": cost.main, "pr": cost.pr}, indent=2) + "\n")
    found = {f"review_cost.{name}": value for name, value in cost.pr.items() if value is not None}
    if found:
        log_to_training_run(found)
