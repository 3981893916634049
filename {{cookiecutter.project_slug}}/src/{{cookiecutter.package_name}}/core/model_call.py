"""How the service calls the model: on one thread, under one warnings filter."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sklearn.pipeline import Pipeline


def for_serving(model: Pipeline) -> Pipeline:
    """Predict on one thread (the file keeps training's n_jobs=-1): for a served batch,
    starting joblib's threads costs more than its whole prediction."""
    for _, step in model.steps:
        if "n_jobs" in step.get_params(deep=False):
            step.set_params(n_jobs=1)
    return model


@contextmanager
def one_warning_filter() -> Iterator[None]:
    """A served model call under one warnings filter: sklearn's joblib wrapper re-applies every
    active filter per task (per tree), and the serving process has a dozen; with none, sklearn
    warns on every tree. The list is process-wide: keep this around the model call alone."""
    with warnings.catch_warnings():
        warnings.filters[:] = [("default", None, Warning, None, 0)]
        yield
