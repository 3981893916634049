"""Build the model named in params.yaml: the feature transformer plus one estimator."""

from __future__ import annotations

import inspect
from typing import Any

import pandas as pd
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline

from .config import TASK, Params
from .errors import UserError
from .features import build_preprocessor

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


def build_estimator(name: str, hyperparameters: dict[str, Any], seed: int) -> Any:
    choices = ESTIMATORS[TASK]
    if name not in choices:
        raise UserError(
            f"params.yaml: train.model '{name}' is not a {TASK} model; "
            f"choose one of {', '.join(choices)}"
        )
    estimator_class = choices[name]
    accepted = set(inspect.signature(estimator_class).parameters)
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise UserError(
            f"params.yaml: train.hyperparameters {unknown} are not parameters of "
            f"{estimator_class.__name__}; valid ones: {', '.join(sorted(accepted))}"
        )
    settings = dict(hyperparameters)
    if "random_state" in accepted:
        settings.setdefault("random_state", seed)
    try:
        return estimator_class(**settings)
    except (TypeError, ValueError) as error:
        raise UserError(f"params.yaml: train.hyperparameters are invalid: {error}") from error


def build_model(params: Params, features: pd.DataFrame) -> Pipeline:
    """One sklearn Pipeline from raw columns to prediction: what is trained is what is served."""
    estimator = build_estimator(params.train.model, params.train.hyperparameters, params.data.seed)
    return Pipeline([("features", build_preprocessor(features)), ("model", estimator)])
