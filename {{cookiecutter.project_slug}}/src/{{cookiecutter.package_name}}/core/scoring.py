"""The task's standard metrics, one way for evaluate and the performance check; and fairness per
sensitive feature: every group's metrics, and over groups large enough, each metric's largest
gap (and fairlearn's disparities for classification)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ..modeling.metrics import score as your_metrics
from .errors import UserError
from .params import TASK


def classification_metrics(
    actual: pd.Series,
    predicted: np.ndarray,
    probabilities: np.ndarray | None = None,
    classes: np.ndarray | None = None,
) -> dict[str, float]:
    """roc_auc needs the model's probabilities, so predictions alone have none."""
    scores = {
        "accuracy": float(skm.accuracy_score(actual, predicted)),
        "f1_macro": float(skm.f1_score(actual, predicted, average="macro", zero_division=0)),
    }
    present = set(pd.unique(actual))
    if probabilities is not None and len(present) > 1 and present <= set(classes):
        if len(classes) == 2:
            scores["roc_auc"] = float(skm.roc_auc_score(actual == classes[1], probabilities[:, 1]))
        elif present == set(classes):
            scores["roc_auc"] = float(
                skm.roc_auc_score(actual, probabilities, multi_class="ovr", labels=classes)
            )
    return scores


def regression_metrics(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    return {
        "rmse": float(np.sqrt(skm.mean_squared_error(actual, predicted))),
        "mae": float(skm.mean_absolute_error(actual, predicted)),
        "r2": float(skm.r2_score(actual, predicted)) if len(actual) > 1 else float("nan"),
    }


def score_predictions(actual: pd.Series, predicted: np.ndarray) -> dict[str, float]:
    if TASK == "regression":
        return regression_metrics(actual, predicted)
    return classification_metrics(actual, predicted)


def score(model: Any, features: pd.DataFrame, actual: pd.Series) -> dict[str, float]:
    """The task's metrics and yours (modeling/metrics.py) for a fitted model: metrics.json."""
    predicted = model.predict(features)
    if TASK == "regression":
        standard = regression_metrics(actual, predicted)
    else:
        probabilities = model.predict_proba(features) if hasattr(model, "predict_proba") else None
        standard = classification_metrics(actual, predicted, probabilities, model.classes_)
    yours = your_metrics(model, features, actual)
    if taken := sorted(set(yours) & set(standard)):
        raise UserError(
            f"modeling/metrics.py:score returned {', '.join(taken)}, the name of a standard "
            "metric, which the gate, fairness and monitoring compute themselves: rename yours"
        )
    return standard | yours


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
