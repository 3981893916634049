"""The task's standard metrics, one way for evaluate, fairness and the performance check."""

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
