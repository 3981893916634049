"""The estimator `train.model` names, built from modeling/model.py's table and checked.

A name not in ESTIMATORS, or a hyperparameter the estimator's constructor does not take,
fails `make check` (pre-commit) and the train stage with the valid choices listed.
"""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any

from ..core.params import Params
from ..modeling.model import ESTIMATORS

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline


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

    from ..modeling.features import build_preprocessor

    estimator = build_estimator(params.train.model, params.train.hyperparameters, params.data.seed)
    return Pipeline([("features", build_preprocessor(features)), ("model", estimator)])


def estimator_problems(params: Params) -> list[str]:
    """`train.model` and its hyperparameters, checked against the estimator table."""
    try:
        check_model_name(params.train.model)
    except ValueError as error:
        return [f"params.yaml: train.model: {error}"]
    try:
        check_hyperparameter_names(params.train.model, list(params.train.hyperparameters))
    except ValueError as error:
        return [f"params.yaml: train.hyperparameters: {error}"]
    return []
