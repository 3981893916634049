"""The estimator `train.model` names, from modeling/model.py's table: built, or checked by
`make check` (pre-commit) and the train stage, which list the valid choices."""

from __future__ import annotations

import inspect
import pkgutil
from typing import TYPE_CHECKING

from ..core.params import Params
from ..modeling.model import ESTIMATORS

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.pipeline import Pipeline


def estimator_class(name: str) -> type:
    return pkgutil.resolve_name(ESTIMATORS[name])


def build_model(params: Params, features: pd.DataFrame) -> Pipeline:
    """One Pipeline from raw columns to prediction, seeded from data.seed and on every core
    unless the hyperparameters say otherwise (a seeded forest is the same whatever n_jobs)."""
    from sklearn.pipeline import Pipeline

    from ..modeling.features import build_preprocessor

    estimator = estimator_class(params.train.model)
    accepted = inspect.signature(estimator).parameters
    defaults = {"random_state": params.data.seed, "n_jobs": -1}
    settings = {k: v for k, v in defaults.items() if k in accepted} | params.train.hyperparameters
    return Pipeline([("features", build_preprocessor(features)), ("model", estimator(**settings))])


def estimator_problems(params: Params) -> list[str]:
    name = params.train.model
    if name not in ESTIMATORS:
        choices = ", ".join(ESTIMATORS)
        return [f"params.yaml: train.model: unknown model {name!r}; choose one of: {choices}"]
    accepted = sorted(inspect.signature(estimator_class(name)).parameters)
    if unknown := sorted(set(params.train.hyperparameters) - set(accepted)):
        return [
            f"params.yaml: train.hyperparameters: not a parameter of {ESTIMATORS[name]}: "
            f"{', '.join(unknown)}; valid: {', '.join(accepted)}"
        ]
    return []
