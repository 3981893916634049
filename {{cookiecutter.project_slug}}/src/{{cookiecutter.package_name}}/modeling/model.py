"""The models `train.model` in params.yaml may name, and the types a model file may hold.

REPLACE THIS WITH YOUR OWN CODE where you need another model: add a line to ESTIMATORS (a
name and the class's import path) and the types its fitted objects contain to
TRUSTED_TYPES. Loading refuses any other type in a model file, naming it, so a model file
stays data and can never run code (skops reports the types it would have to trust).
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # params.yaml is checked against this table: keep its import cheap
    import pandas as pd
    from sklearn.pipeline import Pipeline

    from ..config import Params

# name in params.yaml -> "module.Class"; imported only when chosen, so other stages start fast.
ESTIMATORS: dict[str, str] = {
{%- if cookiecutter.task == 'classification' %}
    "random_forest": "sklearn.ensemble.RandomForestClassifier",
    "gradient_boosting": "sklearn.ensemble.HistGradientBoostingClassifier",
    "logistic_regression": "sklearn.linear_model.LogisticRegression",
{%- else %}
    "random_forest": "sklearn.ensemble.RandomForestRegressor",
    "gradient_boosting": "sklearn.ensemble.HistGradientBoostingRegressor",
    "ridge": "sklearn.linear_model.Ridge",
{%- endif %}
}

# The exact types a model file may hold beyond skops' own safe defaults (which cover every
# sklearn estimator): what `skops.io.get_untrusted_types` reports for the models above.
# Nothing is trusted by prefix. An xgboost model would add e.g. "xgboost.sklearn.XGBClassifier".
TRUSTED_TYPES: frozenset[str] = frozenset(
    {
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)


def check_model_name(name: str) -> None:
    """Raise ValueError naming the choices when `train.model` is not in ESTIMATORS."""
    if name not in ESTIMATORS:
        raise ValueError(f"unknown model {name!r}; choose one of: {', '.join(ESTIMATORS)}")


def estimator_class(name: str) -> type:
    check_model_name(name)
    module, _, class_name = ESTIMATORS[name].rpartition(".")
    return getattr(importlib.import_module(module), class_name)


def accepted_hyperparameters(name: str) -> list[str]:
    return sorted(inspect.signature(estimator_class(name)).parameters)


def check_hyperparameter_names(name: str, names: list[str]) -> None:
    """Raise ValueError listing the valid names when one is not a constructor parameter."""
    accepted = accepted_hyperparameters(name)
    unknown = sorted(set(names) - set(accepted))
    if unknown:
        raise ValueError(
            f"not a parameter of {ESTIMATORS[name]}: {', '.join(unknown)}; "
            f"valid: {', '.join(accepted)}"
        )


def build_estimator(name: str, hyperparameters: dict[str, Any], seed: int) -> Any:
    """The estimator, seeded from data.seed and on every core, unless the hyperparameters set
    random_state or n_jobs. A seeded forest is the same whatever n_jobs is."""
    settings = dict(hyperparameters)
    accepted = accepted_hyperparameters(name)
    if "random_state" in accepted:
        settings.setdefault("random_state", seed)
    if "n_jobs" in accepted:
        settings.setdefault("n_jobs", -1)
    return estimator_class(name)(**settings)


def build_model(params: Params, features: pd.DataFrame) -> Pipeline:
    """One Pipeline from raw columns to prediction: what is trained is what is served."""
    from sklearn.pipeline import Pipeline

    from .features import build_preprocessor

    estimator = build_estimator(params.train.model, params.train.hyperparameters, params.data.seed)
    return Pipeline([("features", build_preprocessor(features)), ("model", estimator)])
