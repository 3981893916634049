"""YOUR METRICS, beside the task's standard ones (core/scoring.py).

`score` gets the fitted model and the test split; what it returns lands in metrics.json next
to the standard metrics, which fairness and monitoring use too. To gate one of yours, name it
under `review.metrics` in params.yaml (which way is better, and how far it may fall).
"""

from __future__ import annotations

from typing import Any

import pandas as pd


def score(model: Any, features: pd.DataFrame, actual: pd.Series) -> dict[str, float]:
    """Extra metrics of the fitted `model` on `features` against `actual`; none by default.

    For example: `return {"max_error": float(sklearn.metrics.max_error(actual, predicted))}`.
    """
    return {}
