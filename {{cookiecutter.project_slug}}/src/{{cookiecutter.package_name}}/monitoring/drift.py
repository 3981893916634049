"""The `drift` command: is the data the model sees now still like the data it was trained on?
A current window (a table or an inference log) against the training split, per feature and on
the model's predictions; missing values are counted by `missing_rate`, not in distributions."""

from __future__ import annotations

import math
from argparse import Namespace
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from prometheus_client import Metric
from scipy import stats

from ..core.contract import read_columns
from ..core.errors import UserError
from ..core.inference_log import read_frame
from ..core.params import TASK, DriftParams, Params, load_params
from ..core.paths import DRIFT_REPORT, DRIFT_RESULT, TRAIN_SPLIT
from ..core.reports import table
from ..core.tables import read_table
from .verdict import conclude, gauge

JSON_LINES = {".jsonl", ".ndjson", ".json"}
PREDICTION = "(prediction)"
EPSILON = 1e-4  # the share of an empty bin, so PSI stays finite; too small to matter
UNSEEN = "(unseen)"


@dataclass(frozen=True)
class Comparison:
    """One column's reference-vs-current statistics; `None` where a statistic does not apply."""

    psi: float | None
    ks_statistic: float | None = None
    ks_pvalue: float | None = None
    chi2_pvalue: float | None = None
    unseen_share: float = 0.0  # current share of categories the training data never had


def missing_rate(values: pd.Series) -> float:
    return float(values.isna().mean()) if len(values) else 0.0


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two distributions over the same bins (counts or shares)."""
    expected = np.clip(reference / max(reference.sum(), 1), EPSILON, None)
    actual = np.clip(current / max(current.sum(), 1), EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


def compare_numeric(reference: pd.Series, current: pd.Series, bins: int) -> Comparison:
    ref = pd.to_numeric(reference, errors="coerce").dropna().to_numpy(dtype=float)
    cur = pd.to_numeric(current, errors="coerce").dropna().to_numpy(dtype=float)
    if len(ref) == 0 or len(cur) == 0:
        return Comparison(psi=None)
    # Bins at the reference's quantiles (ties, e.g. small integers, merge bins); the outer
    # bins are open, so values beyond the reference's range count.
    inner = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    edges = np.concatenate([[-np.inf], inner, [np.inf]])
    ks = stats.ks_2samp(ref, cur)
    counts = [np.histogram(values, edges)[0] for values in (ref, cur)]
    return Comparison(psi(*counts), float(ks.statistic), float(ks.pvalue))


def category_counts(reference: pd.Series, current: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Counts over the reference's categories plus one bucket for every unseen category."""
    ref, cur = reference.dropna().astype(str), current.dropna().astype(str)
    order = [*sorted(ref.unique()), UNSEEN]
    cur = cur.where(cur.isin(order[:-1]), UNSEEN)
    ref_counts = ref.value_counts().reindex(order, fill_value=0).to_numpy()
    return ref_counts, cur.value_counts().reindex(order, fill_value=0).to_numpy()


def compare_categorical(reference: pd.Series, current: pd.Series) -> Comparison:
    ref_counts, cur_counts = category_counts(reference, current)
    if ref_counts.sum() == 0 or cur_counts.sum() == 0:
        return Comparison(psi=None)
    observed = np.vstack([ref_counts, cur_counts])
    observed = observed[:, observed.sum(axis=0) > 0]  # a category neither side has tells nothing
    chi2 = stats.chi2_contingency(observed).pvalue if observed.shape[1] > 1 else 1.0
    unseen = float(cur_counts[-1] / cur_counts.sum())
    return Comparison(psi(ref_counts, cur_counts), chi2_pvalue=float(chi2), unseen_share=unseen)


@dataclass(frozen=True)
class ColumnDrift:
    column: str
    kind: str  # numeric, categorical or prediction
    comparison: Comparison | None  # None: the column is missing from the current data
    missing_reference: float
    missing_current: float | None
    reasons: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DriftOutcome:
    current: str
    reference_rows: int
    current_rows: int
    columns: list[ColumnDrift]
    notes: list[str]
    params: DriftParams

    @property
    def failed(self) -> list[str]:
        return [column.column for column in self.columns if column.reasons]

    def as_json(self) -> dict:
        return {
            "drift": bool(self.failed),
            "drifted_columns": self.failed,
            "current": self.current,
            "rows": {"reference": self.reference_rows, "current": self.current_rows},
            "columns": [asdict(column) for column in self.columns],
            "notes": self.notes,
            "thresholds": self.params.model_dump(),
        }

    def markdown(self) -> str:
        limits, failed, count = self.params, self.failed, len(self.columns)
        if failed:
            title = f"⚠️ Drift in {len(failed)} of {count} columns"
        else:
            title = f"✅ No drift in {count} columns"
        cells = []
        for column in self.columns:
            found = column.comparison or Comparison(psi=None)
            now = "-" if column.missing_current is None else f"{column.missing_current:.1%}"
            verdict = "⚠️ " + "; ".join(column.reasons) if column.reasons else "✅"
            cells.append([
                f"`{column.column}`", column.kind, number(found.psi), number(found.ks_statistic),
                number(found.ks_pvalue, 4), number(found.chi2_pvalue, 4),
                f"{found.unseen_share:.1%}", f"{column.missing_reference:.1%} → {now}", verdict,
            ])  # fmt: skip
        header = ["column", "kind", "PSI", "KS", "KS p", "χ² p", "unseen", "missing (train → now)"]
        lines = [
            "<!-- mergeship-drift -->",
            f"## {title}",
            "",
            f"`{self.current}` ({self.current_rows} rows) against the training data "
            f"`{TRAIN_SPLIT}` ({self.reference_rows} rows).",
            "",
            table([*header, "verdict"], cells, "llrrrrr"),
            "",
            *(f"- {note}" for note in self.notes),
            f"Drift: PSI ≥ {limits.psi_threshold}; or KS p < {limits.pvalue} with distance "
            f"≥ {limits.ks_statistic}; or chi-square p < {limits.pvalue} with PSI "
            f"≥ {limits.psi_moderate}; or a missing share up by more than "
            f"{limits.missing_rate_increase:.0%} (params.yaml `drift:`).",
        ]
        return "\n".join(lines) + "\n"

    def collect(self) -> list[Metric]:
        psi = {
            (column.column,): column.comparison.psi
            for column in self.columns
            if column.comparison is not None and column.comparison.psi is not None
        }
        return [
            gauge("drift_detected", "1 when the last drift check found a shift", bool(self.failed)),
            gauge("drift_psi", "PSI of each column against the training data", psi, "column"),
        ]


def number(value: float | None, digits: int = 3) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def read_current(path: Path) -> pd.DataFrame:
    """A table, or an inference log: one JSON object a line, flat or with a `features` object."""
    if path.suffix not in JSON_LINES:
        return read_table(path)

    def features(number: int, entry: object) -> dict:
        if not isinstance(entry, dict):
            raise UserError(f"{path}: line {number} is not a JSON object: {entry!r:.80}")
        return entry["features"] if isinstance(entry.get("features"), dict) else entry

    return read_frame(path, features)


def judge(column: ColumnDrift, params: DriftParams) -> list[str]:
    found = column.comparison
    if found is None:
        return ["missing from the current data"]
    reasons = []
    if found.psi is not None and found.psi >= params.psi_threshold:
        reasons.append(f"PSI {found.psi:.3f} >= {params.psi_threshold}")
    # A test alone flags negligible shifts in large windows: each needs a large enough effect.
    large = found.ks_statistic is not None and found.ks_statistic >= params.ks_statistic
    if large and found.ks_pvalue is not None and found.ks_pvalue < params.pvalue:
        reasons.append(f"KS {found.ks_statistic:.3f} (p={found.ks_pvalue:.1e})")
    moderate = found.psi is not None and params.psi_moderate <= found.psi < params.psi_threshold
    if moderate and found.chi2_pvalue is not None and found.chi2_pvalue < params.pvalue:
        reasons.append(f"chi-square p={found.chi2_pvalue:.1e} with PSI {found.psi:.3f}")
    rise = (column.missing_current or 0.0) - column.missing_reference
    if rise > params.missing_rate_increase:
        reasons.append(f"missing share up {rise:+.1%}")
    return reasons


def compare_column(
    name: str, kind: str, reference: pd.Series, current: pd.Series | None, params: DriftParams
) -> ColumnDrift:
    if current is None:
        comparison = None
    elif kind == "numeric" or (kind == "prediction" and TASK == "regression"):
        comparison = compare_numeric(reference, current, params.bins)
    else:
        comparison = compare_categorical(reference, current)
    missing = None if current is None else missing_rate(current)
    column = ColumnDrift(name, kind, comparison, missing_rate(reference), missing)
    column.reasons.extend(judge(column, params))
    return column


def detect(params: Params, current_path: Path) -> DriftOutcome:
    if not TRAIN_SPLIT.exists():
        raise UserError(f"{TRAIN_SPLIT} not found: run `make pipeline` (or `make pull-data`)")
    reference = read_table(TRAIN_SPLIT).drop(columns=[params.data.target], errors="ignore")
    current = read_current(current_path)
    if len(current) < params.drift.min_rows:
        raise UserError(
            f"{current_path} has {len(current)} rows; drift needs at least drift.min_rows="
            f"{params.drift.min_rows} to tell a shift from noise: use a longer window."
        )
    features, _ = read_columns(params.data.schema_file, params.data.target)
    numeric = {spec.name for spec in features if spec.kind in (int, float)}
    kinds = {name: "numeric" if name in numeric else "categorical" for name in reference.columns}
    columns = [
        compare_column(str(name), kind, reference[name], current.get(name), params.drift)
        for name, kind in kinds.items()
    ]
    notes = []
    if absent := [column.column for column in columns if column.comparison is None]:
        notes.append(f"predictions not compared: the current data lacks {', '.join(absent)}")
    else:  # the saved model's predictions on both, current columns cast to training types
        from ..core.model_file import load_model

        model = load_model()
        aligned = current[list(reference.columns)].astype(
            {name: dtype for name, dtype in reference.dtypes.items() if name not in numeric}
        )
        aligned[list(numeric)] = aligned[list(numeric)].apply(pd.to_numeric, errors="coerce")
        predicted = [pd.Series(model.predict(frame)) for frame in (reference, aligned)]
        columns.append(compare_column(PREDICTION, "prediction", *predicted, params.drift))
    return DriftOutcome(
        str(current_path), len(reference), len(current), columns, notes, params.drift
    )


def drift_command(args: Namespace) -> int:
    """Report drift; exit 3 on drift (unless --report-only), and tell a workflow either way."""
    outcome = detect(load_params(), args.current)
    return conclude(outcome, args, DRIFT_REPORT, DRIFT_RESULT, flag="drifted", failure="drift")
