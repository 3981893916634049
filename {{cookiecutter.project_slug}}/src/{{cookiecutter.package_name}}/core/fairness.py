"""Fairness per sensitive feature: every group's metrics, and over groups large enough, each
metric's largest gap (and fairlearn's disparities for classification)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import UserError
from .params import TASK
from .scoring import score_predictions

MISSING_GROUP = "missing"


def groups_of(features: pd.DataFrame, column: str) -> pd.Series:
    """A missing value is a group of its own, never dropped."""
    if column not in features.columns:
        raise UserError(
            f"params.yaml: evaluate.sensitive_features names '{column}', which is not a "
            f"feature column; choose from {', '.join(map(str, features.columns))}"
        )
    values = features[column]
    return values.astype(str).where(values.notna(), MISSING_GROUP).rename(column)


def disparities(actual: pd.Series, predicted: np.ndarray, groups: pd.Series) -> dict[str, float]:
    """fairlearn's measures are binary: each class is judged one-vs-rest, the worst kept; of two
    classes only the second in text order (10 before 2), as evaluate and the performance check
    (labels as text) must pick the same one."""
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
    table = pd.DataFrame({"actual": actual.to_numpy(), "predicted": predicted})
    by_group = {
        str(group): score_predictions(part["actual"], part["predicted"].to_numpy())
        | {"rows": len(part)}
        for group, part in table.groupby(groups.to_numpy())
    }
    result: dict[str, Any] = {"groups": by_group}
    large = {group: scores for group, scores in by_group.items() if scores["rows"] >= min_rows}
    if len(large) < 2:  # fewer than two groups to compare: no gap to report
        return result
    scores = pd.DataFrame(list(large.values())).drop(columns="rows")
    result |= {f"{name}_gap": float(gap) for name, gap in (scores.max() - scores.min()).items()}
    if TASK == "classification":
        judged = groups.isin(list(large)).to_numpy()
        result |= disparities(actual[judged], predicted[judged], groups[judged])
    return result


def fairness_metrics(
    actual: pd.Series,
    predicted: np.ndarray,
    features: pd.DataFrame,
    columns: list[str],
    min_rows: int,
) -> dict[str, Any]:
    return {
        column: feature_fairness(actual, predicted, groups_of(features, column), min_rows)
        for column in columns
    }
