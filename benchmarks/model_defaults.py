"""Model defaults measured on real tables: which `train.model` and hyperparameters to ship.

The generated project's defaults must hold on a user's own data, not only on the sample
tables (which are drawn from distributions the template chose). So each candidate is scored
on the real tables of `real_tables.py`, which packages bundle (nothing is downloaded at run
time), and which the template's own-data test also runs through a generated project.

Every table goes through what the generated project does with a CSV: read back from CSV
text (so the column types are what `pd.read_csv` gives), split by the project's own seeded
20% hold-out (stratified by class for classification), then the project's Pipeline: median
impute + StandardScaler on numbers, constant impute + OneHotEncoder(handle_unknown="ignore")
on the rest, and the estimator seeded with random_state=42 on every core (n_jobs=-1). The
preprocessor and the split are copied here from the template, not imported, so the benchmark
needs no generated project. Columns that are row names, identifiers or the target in another
form are dropped, as a user would; nothing else is changed. Tables under 300 rows (iris,
wine, linnerud, most of statsmodels') are left out: their test split of 30-60 rows moves
f1_macro by about 0.03 per misclassified row, more than the margins judged here.

Each candidate is fitted on three such splits (data.seed 42, 43, 44; the estimator's
random_state follows the seed, as in the project) and scored by the mean, since one split of
a few hundred rows moves a score by several hundredths. Gradient boosting runs on one OpenMP
thread: its scores are the same on any thread count, and with more threads than free cores
(a shared machine) its fits took 10-20 times longer.

Per task it prints each table's score (f1_macro or r2 on the test split) for each candidate,
the best, each candidate's margin to the best, and a verdict per candidate: its worst margin
to the best over all tables and its worst gap below scikit-learn's own defaults for the same
estimator. A candidate qualifies when the first is at most MAX_MARGIN and the second at most
MAX_GAP; among those, scikit-learn's own defaults are preferred (the simplest to explain),
then the smallest worst-case margin. Fit times are summed per candidate over the tables.

Run: `make bench`, or `uv run --locked --group bench-models python benchmarks/model_defaults.py`.
"""

from __future__ import annotations

import argparse
import importlib.util
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from real_tables import TABLES, Table, load_table
from results import fenced, record
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import f1_score, r2_score
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

SEED = 42  # params.yaml data.seed: the first split; --splits adds 43, 44, ...
TEST_SIZE = 0.2  # params.yaml data.test_size
MAX_MARGIN = 0.02  # a default may trail the best candidate by this much on any table
MAX_GAP = 0.01  # and scikit-learn's own defaults for the same estimator by this much
METRIC = {"classification": "f1_macro", "regression": "r2"}
COMMAND = "uv run --locked --group bench-models python benchmarks/model_defaults.py"


# --- The generated project's preprocessing, loaded from the template's own file (it has no
# template syntax), and its split, copied from pipeline/data.py (which reads the rendered
# task): keep that one in step.
FEATURES_FILE = next(Path(__file__).resolve().parents[1].glob("{{*}}/src/*/modeling/features.py"))
_spec = importlib.util.spec_from_file_location("template_features", FEATURES_FILE)
template_features = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(template_features)
build_preprocessor = template_features.build_preprocessor
categorical_columns = template_features.categorical_columns


def split_indices(
    labels: pd.Series, test_size: float, seed: int, task: str
) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    groups = labels.astype(str).to_numpy() if task == "classification" else np.zeros(len(labels))
    train, test = [], []
    for group in pd.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == group))
        n_test = round(len(members) * test_size)
        if len(members) > 1:
            n_test = min(max(n_test, 1), len(members) - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


# --- The candidates: `model` and `hyperparameters` exactly as params.yaml would hold them.


@dataclass(frozen=True)
class Candidate:
    label: str
    model: str  # the name in the generated project's ESTIMATORS table
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    reference: str = ""  # the label of scikit-learn's defaults for the same estimator

    def describe(self) -> str:
        settings = ", ".join(f"{key}: {value}" for key, value in self.hyperparameters.items())
        return f"{self.model} {{{settings}}}"


ESTIMATORS: dict[str, dict[str, type]] = {
    "classification": {
        "random_forest": RandomForestClassifier,
        "gradient_boosting": HistGradientBoostingClassifier,
        "logistic_regression": LogisticRegression,
    },
    "regression": {
        "random_forest": RandomForestRegressor,
        "gradient_boosting": HistGradientBoostingRegressor,
        "ridge": Ridge,
    },
}

SLOW_HGB = {"max_iter": 300, "learning_rate": 0.05}
TEMPLATE_HGB = {**SLOW_HGB, "max_leaf_nodes": 15, "min_samples_leaf": 20}
TEMPLATE_RF = {"n_estimators": 100, "max_depth": 8, "min_samples_leaf": 2}

CANDIDATES: dict[str, tuple[Candidate, ...]] = {
    "classification": (
        Candidate("rf_now", "random_forest", TEMPLATE_RF, "rf_skl"),
        Candidate("rf_skl", "random_forest", {}, "rf_skl"),
        Candidate("hgb_skl", "gradient_boosting", {}, "hgb_skl"),
        Candidate("hgb_slow", "gradient_boosting", SLOW_HGB, "hgb_skl"),
        Candidate("hgb_reg", "gradient_boosting", TEMPLATE_HGB, "hgb_skl"),
        # LogisticRegression's default max_iter (100) stops short of converging on some
        # tables here; 1000 converges on all of them.
        Candidate("logreg", "logistic_regression", {"max_iter": 1000}, "logreg"),
    ),
    "regression": (
        Candidate("hgb_now", "gradient_boosting", TEMPLATE_HGB, "hgb_skl"),
        Candidate("hgb_skl", "gradient_boosting", {}, "hgb_skl"),
        Candidate("hgb_slow", "gradient_boosting", SLOW_HGB, "hgb_skl"),
        Candidate("rf_old", "random_forest", TEMPLATE_RF, "rf_skl"),
        Candidate("rf_skl", "random_forest", {}, "rf_skl"),
        Candidate("ridge_skl", "ridge", {}, "ridge_skl"),
    ),
}


def build_estimator(task: str, candidate: Candidate, seed: int) -> Any:
    """As the project's pipeline/estimator.py: seeded from data.seed and on every core."""
    cls = ESTIMATORS[task][candidate.model]
    settings = dict(candidate.hyperparameters)
    accepted = cls().get_params()
    if "random_state" in accepted:
        settings.setdefault("random_state", seed)
    if "n_jobs" in accepted:
        settings.setdefault("n_jobs", -1)
    return cls(**settings)


@dataclass
class Score:
    value: float
    seconds: float
    unconverged: bool


def score(table: Table, frame: pd.DataFrame, candidate: Candidate, seed: int) -> Score:
    """One fit on the project's split for data.seed = `seed`, scored on its test rows."""
    features = frame.drop(columns=[table.target])
    target = frame[table.target]
    train, test = split_indices(target, TEST_SIZE, seed, table.task)
    model = Pipeline(
        [
            ("features", build_preprocessor(features)),
            ("model", build_estimator(table.task, candidate, seed)),
        ]
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        started = time.perf_counter()
        model.fit(features.iloc[train], target.iloc[train])
        seconds = time.perf_counter() - started
    unconverged = any(issubclass(w.category, ConvergenceWarning) for w in caught)
    predicted = model.predict(features.iloc[test])
    actual = target.iloc[test]
    if table.task == "classification":
        value = f1_score(actual, predicted, average="macro", zero_division=0)
    else:
        value = r2_score(actual, predicted)
    return Score(float(value), seconds, unconverged)


def mean_score(table: Table, frame: pd.DataFrame, candidate: Candidate, splits: int) -> Score:
    """The mean score over `splits` seeds (42, 43, ...); fit seconds summed. Each fit is
    seeded, so the same inputs give the same scores on every run and any thread count."""
    scores = [score(table, frame, candidate, SEED + offset) for offset in range(splits)]
    return Score(
        float(np.mean([s.value for s in scores])),
        sum(s.seconds for s in scores),
        any(s.unconverged for s in scores),
    )


# --- Report.


def tables_listing(frames: dict[str, pd.DataFrame]) -> str:
    lines = [f"{'table':<16}{'task':<16}{'rows':>7}  {'features (text)':<17}source"]
    for table in TABLES:
        if table.name not in frames:
            continue
        frame = frames[table.name]
        features = frame.drop(columns=[table.target])
        kinds = f"{features.shape[1]} ({len(categorical_columns(features))})"
        lines.append(f"{table.name:<16}{table.task:<16}{len(frame):>7}  {kinds:<17}{table.source}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Verdict:
    candidate: Candidate
    worst_margin: float
    worst_margin_table: str
    mean_margin: float
    worst_gap: float
    worst_gap_table: str
    seconds: float

    @property
    def keeps_to_defaults(self) -> bool:
        return self.worst_gap <= MAX_GAP + 1e-9

    @property
    def qualifies(self) -> bool:
        return self.keeps_to_defaults and self.worst_margin <= MAX_MARGIN + 1e-9

    @property
    def is_sklearn_default(self) -> bool:
        return self.candidate.reference == self.candidate.label


def verdict(candidate: Candidate, results: dict[str, dict[str, Score]]) -> Verdict:
    margins = {
        name: max(s.value for s in scores.values()) - scores[candidate.label].value
        for name, scores in results.items()
    }
    gaps = {
        name: scores[candidate.reference].value - scores[candidate.label].value
        for name, scores in results.items()
    }
    worst_margin_table = max(margins, key=lambda name: margins[name])
    worst_gap_table = max(gaps, key=lambda name: gaps[name])
    return Verdict(
        candidate,
        margins[worst_margin_table],
        worst_margin_table,
        float(np.mean(list(margins.values()))),
        gaps[worst_gap_table],
        worst_gap_table,
        sum(scores[candidate.label].seconds for scores in results.values()),
    )


def choose(verdicts: list[Verdict]) -> tuple[Verdict, str]:
    """The recommended default and why. Qualifying candidates first, scikit-learn's own
    defaults among them first; when none qualifies, the candidates that keep to their
    estimator's defaults, by worst margin to the best and then mean margin."""
    qualifying = [v for v in verdicts if v.qualifies]
    if qualifying:
        best = min(qualifying, key=lambda v: (not v.is_sklearn_default, v.worst_margin))
        return best, "qualifies"
    kept = [v for v in verdicts if v.keeps_to_defaults]
    best = min(kept, key=lambda v: (v.worst_margin, v.mean_margin))
    return best, (
        f"no candidate is within {MAX_MARGIN} of the best on every table; of those never "
        f"more than {MAX_GAP} below their estimator's defaults, the smallest worst margin"
    )


def task_report(
    task: str, results: dict[str, dict[str, Score]], splits: int
) -> tuple[str, Verdict]:
    candidates = CANDIDATES[task]
    labels = [candidate.label for candidate in candidates]
    width = max(9, *(len(label) + 2 for label in labels))
    metric = METRIC[task]
    head = f"{'table':<16}" + "".join(f"{label:>{width}}" for label in labels)
    over = f"mean of {splits} seeded splits" if splits > 1 else "the seeded split"
    starred = False

    lines = [f"{task}: {metric} on the test split ({over})", head + f"{'best':>{width}}"]
    for name, scores in results.items():
        best = max(scores[label].value for label in labels)
        cells = ""
        for label in labels:
            mark = "*" if scores[label].unconverged else ""
            starred = starred or bool(mark)
            cells += f"{f'{scores[label].value:.3f}{mark}':>{width}}"
        lines.append(f"{name:<16}{cells}{best:>{width}.3f}")

    lines += ["", f"{task}: margin to the best (best - score)", head]
    for name, scores in results.items():
        best = max(scores[label].value for label in labels)
        lines.append(
            f"{name:<16}" + "".join(f"{best - scores[label].value:>{width}.3f}" for label in labels)
        )

    verdicts = [verdict(candidate, results) for candidate in candidates]
    lines += [
        "",
        f"{task}: verdict (qualifies: worst margin <= {MAX_MARGIN} and "
        f"worst gap below sklearn's defaults of the same estimator <= {MAX_GAP})",
        f"{'candidate':<11}{'worst margin':>24}{'mean':>7}{'worst gap to defaults':>28}"
        f"{'fit s':>8}  qualifies",
    ]
    for v in verdicts:
        lines.append(
            f"{v.candidate.label:<11}"
            f"{f'{v.worst_margin:.3f} ({v.worst_margin_table})':>24}{v.mean_margin:>7.3f}"
            f"{f'{v.worst_gap:.3f} ({v.worst_gap_table})':>28}"
            f"{v.seconds:>8.1f}  {'yes' if v.qualifies else 'no'}"
        )
    lines += [
        "",
        "candidates (model {hyperparameters}; random_state = the split's seed, n_jobs -1):",
    ]
    lines += [f"  {candidate.label:<10} {candidate.describe()}" for candidate in candidates]
    if starred:
        lines.append("  * some fit stopped before converging (ConvergenceWarning)")

    chosen, why = choose(verdicts)
    lines += [
        "",
        f"{task}: recommended default: {chosen.candidate.label} = {chosen.candidate.describe()}",
        f"  ({why}: worst margin {chosen.worst_margin:.3f} on {chosen.worst_margin_table}, "
        f"mean margin {chosen.mean_margin:.3f}, worst gap to defaults {chosen.worst_gap:.3f})",
    ]
    return "\n".join(lines), chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--tables", nargs="*", help="only these tables (names as listed)")
    parser.add_argument(
        "--splits", type=int, default=3, help="seeded splits per table (42, 43, ...): mean score"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="OpenMP threads for gradient boosting (scores are the same for any count; on a "
        "busy machine more threads than free cores make its fits many times slower)",
    )
    parser.add_argument("--no-record", action="store_true", help="print only")
    args = parser.parse_args()

    started = time.perf_counter()
    frames: dict[str, pd.DataFrame] = {}
    results: dict[str, dict[str, dict[str, Score]]] = {task: {} for task in CANDIDATES}
    with threadpool_limits(args.threads, user_api="openmp"):
        for table in TABLES:
            if args.tables and table.name not in args.tables:
                continue
            frames[table.name] = frame = load_table(table)
            results[table.task][table.name] = {
                candidate.label: mean_score(table, frame, candidate, args.splits)
                for candidate in CANDIDATES[table.task]
            }
            print(f"  scored {table.name}", flush=True)

    sections = [tables_listing(frames)]
    for task, task_results in results.items():
        if task_results:
            sections.append(task_report(task, task_results, args.splits)[0])
    elapsed = time.perf_counter() - started
    sections.append(
        f"whole run: {elapsed:.0f} s wall, {time.process_time():.0f} s CPU "
        f"(gradient boosting on {args.threads} OpenMP thread(s))"
    )
    report = "\n\n".join(sections)
    print(report)
    if not args.no_record and not args.tables:
        record("Model defaults", fenced(report), COMMAND)


if __name__ == "__main__":
    main()
