"""A Prometheus metric of what the model predicts: a count per class, or a histogram across
the target's range in the data contract, updated once per batch."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.contract import ColumnSpec
from ..core.params import PACKAGE, TASK

BUCKETS = 10


def prediction_metric(target: ColumnSpec) -> Any:
    import prometheus_client  # in the worker, after BentoML set up multiprocess metrics

    if TASK == "classification":
        return prometheus_client.Counter(
            f"{PACKAGE}_predictions", "Predictions served, by predicted class", ["value"]
        )
    low, high = target.span(1.0)
    return prometheus_client.Histogram(
        f"{PACKAGE}_prediction",
        "Predicted values, in buckets across the target's range in the data contract",
        buckets=np.linspace(low, high, BUCKETS + 1)[1:].tolist(),
    )


def observe(metric: Any, predictions: Sequence[Any]) -> None:
    """One increment per class, or per histogram bucket, not per record."""
    if TASK == "classification":
        for value, count in Counter(map(str, predictions)).items():
            metric.labels(value=value).inc(count)
        return
    values = np.asarray(predictions, dtype="float64")
    # prometheus_client has no bulk observe (tests/test_pinned_internals.py pins what this
    # uses): Histogram.observe counts a value in the first bucket whose bound is >= it.
    bounds = metric._upper_bounds
    slots = np.minimum(np.searchsorted(bounds, values, side="left"), len(bounds) - 1)
    for slot, count in enumerate(np.bincount(slots, minlength=len(bounds)).tolist()):
        metric._buckets[slot].inc(count)
    metric._sum.inc(float(values.sum()))
