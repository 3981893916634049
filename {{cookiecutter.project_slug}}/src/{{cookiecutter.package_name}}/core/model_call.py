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
    """sklearn's joblib wrapper re-applies every active warnings filter per tree, and serving
    has a dozen (none makes it warn per tree). Process-wide: wrap the model call alone."""
    with warnings.catch_warnings():
        warnings.filters[:] = [("default", None, Warning, None, 0)]
        yield
