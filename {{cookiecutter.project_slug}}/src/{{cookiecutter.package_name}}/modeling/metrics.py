"""Model metrics per task: the numbers that DVC tracks, MLflow logs and the PR review gates.

REPLACE THIS WITH YOUR OWN CODE to add a metric: return it from `score`, then gate it under
`review.metrics` in params.yaml (which way is better, and by how much it may fall).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from ..config import TASK


def classification_metrics(
    actual: pd.Series, predicted: np.ndarray, probabilities: np.ndarray | None, classes: np.ndarray
) -> dict[str, float]:
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


def score_predictions(
    actual: pd.Series,
    predicted: np.ndarray,
    probabilities: np.ndarray | None = None,
    classes: np.ndarray | None = None,
) -> dict[str, float]:
    """The task's metrics from predictions alone, so logged predictions score like fresh ones."""
    if TASK == "regression":
        return regression_metrics(actual, predicted)
    if classes is None:
        probabilities, classes = None, np.unique(np.asarray(actual))
    return classification_metrics(actual, predicted, probabilities, classes)


def score(model, features: pd.DataFrame, actual: pd.Series) -> dict[str, float]:
    """All metrics of the project's task for a fitted model on one labelled table."""
    predicted = model.predict(features)
    if TASK == "regression":
        return score_predictions(actual, predicted)
    probabilities = model.predict_proba(features) if hasattr(model, "predict_proba") else None
    return score_predictions(actual, predicted, probabilities, model.classes_)
