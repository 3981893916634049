"""Fairness on the held-out split: for each sensitive feature, every group's task metrics and,
over the groups large enough to judge, the largest gap in each metric between groups;
classification adds fairlearn's demographic parity and equalized odds. A missing value is a
group of its own, never dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from .errors import UserError
from .params import TASK
from .scoring import score_predictions

MISSING_GROUP = "missing"


def groups_of(features: pd.DataFrame, column: str) -> pd.Series:
    """The column's values as group names; a missing value is the group "missing"."""
    if column not in features.columns:
        raise UserError(
            f"params.yaml: evaluate.sensitive_features names '{column}', which is not a "
            f"feature column; choose from {', '.join(map(str, features.columns))}"
        )
    values = features[column]
    return values.astype(str).where(values.notna(), MISSING_GROUP).rename(column)


def task_metric(name: str) -> Callable[[Any, Any], float]:
    """One of the task's metrics as MetricFrame wants it: f(y_true, y_pred) -> number."""

    def metric(actual: Any, predicted: Any) -> float:
        return score_predictions(pd.Series(actual), np.asarray(predicted)).get(name, np.nan)

    metric.__name__ = name
    return metric


def disparities(actual: pd.Series, predicted: np.ndarray, groups: pd.Series) -> dict[str, float]:
    """Demographic parity and equalized odds; a multiclass target counts its worst class.

    fairlearn's measures are binary, so each class is judged one-vs-rest and the worst value
    kept: with two classes that is the positive class, the second in text order, so that the
    evaluate stage (labels as read from the data) and the performance check (labels as text)
    pick the same one whatever the labels' type: 10 before 2.
    """
    from fairlearn import metrics

    measures = {  # name: (fairlearn's measure, the worst of its values over the classes)
        "demographic_parity_difference": (metrics.demographic_parity_difference, max),
        "demographic_parity_ratio": (metrics.demographic_parity_ratio, min),
        "equalized_odds_difference": (metrics.equalized_odds_difference, max),
    }
    actual, predicted = np.asarray(actual), np.asarray(predicted)
    classes = sorted(set(np.concatenate([actual, predicted])), key=str)
    judged = classes[1:] if len(classes) == 2 else classes
    if not judged:
        return {}
    return {
        name: float(
            worst(measure(actual == c, predicted == c, sensitive_features=groups) for c in judged)
        )
        for name, (measure, worst) in measures.items()
    }


def feature_fairness(
    actual: pd.Series, predicted: np.ndarray, groups: pd.Series, min_rows: int
) -> dict[str, Any]:
    """Every group's metrics and rows; gaps and disparities over groups of min_rows or more."""
    from fairlearn.metrics import MetricFrame, count

    names = list(score_predictions(actual, predicted))
    by_group = MetricFrame(
        metrics={name: task_metric(name) for name in names} | {"rows": count},
        y_true=actual.to_numpy(),
        y_pred=predicted,
        sensitive_features=groups.to_numpy(),
    ).by_group
    result: dict[str, Any] = {
        "groups": {
            str(group): {**row.drop("rows").astype(float).to_dict(), "rows": int(row["rows"])}
            for group, row in by_group.iterrows()
        }
    }
    large = by_group.loc[by_group["rows"] >= min_rows, names].astype(float)
    if len(large) < 2:  # fewer than two groups to compare: no gap to report
        return result
    result |= {f"{name}_gap": float(gap) for name, gap in (large.max() - large.min()).items()}
    if TASK == "classification":
        judged = groups.isin(large.index).to_numpy()
        result |= disparities(actual[judged], predicted[judged], groups[judged])
    return result


def fairness_metrics(
    actual: pd.Series,
    predicted: np.ndarray,
    features: pd.DataFrame,
    columns: list[str],
    min_rows: int,
) -> dict[str, Any]:
    """{column: its groups and measures} for each sensitive feature."""
    return {
        column: feature_fairness(actual, predicted, groups_of(features, column), min_rows)
        for column in columns
    }
