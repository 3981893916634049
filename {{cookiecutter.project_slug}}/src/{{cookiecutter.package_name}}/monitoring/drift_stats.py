"""Drift statistics on plain arrays: PSI, KS, chi-square and missing-value rates.

Pure functions of numpy/scipy inputs, with no files or model, so each rule is unit-tested on
numbers. Missing values are left out of the distributions and counted by `missing_rate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

# Empty bins get this share instead of 0, so PSI stays finite; small enough not to matter.
EPSILON = 1e-4
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
    return Comparison(
        psi=psi(np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]),
        ks_statistic=float(ks.statistic),
        ks_pvalue=float(ks.pvalue),
    )


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
    return Comparison(
        psi=psi(ref_counts, cur_counts),
        chi2_pvalue=float(chi2),
        unseen_share=float(cur_counts[-1] / cur_counts.sum()),
    )
