"""How the service calls the model: on one thread, under one warnings filter."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

from sklearn.pipeline import Pipeline


def for_serving(model: Pipeline) -> Pipeline:
    """Predict on one thread: a served model call is a small batch, and the server's workers
    are its parallelism.

    Training uses every core (n_jobs=-1), and the file keeps that setting; at serving time
    starting joblib's threads costs more than a small batch's whole prediction.
    """
    for _, step in model.steps:
        if "n_jobs" in step.get_params(deep=False):
            step.set_params(n_jobs=1)
    return model


@contextmanager
def one_warning_filter() -> Iterator[None]:
    """Run a served model call under a single warnings filter, restoring the process's after.

    scikit-learn's joblib wrapper re-applies every active warnings filter once per task (per
    tree of a forest, per ColumnTransformer branch); the serving process has a dozen filters
    from its imports, and each costs time on every call. Zero filters would not do: sklearn
    then warns on every tree. The filter list is
    process-wide: meanwhile a warning from another thread meets this filter (shown, not
    raised or hidden), so keep it around the model call alone.
    """
    with warnings.catch_warnings():
        warnings.filters[:] = [("default", None, Warning, None, 0)]
        yield
