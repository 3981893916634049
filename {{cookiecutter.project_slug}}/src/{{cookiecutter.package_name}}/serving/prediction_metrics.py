"""A Prometheus metric of what the model predicts, for the dashboard's prediction panel.

Classes are counted per predicted label; numbers go into a histogram whose buckets span the
target's range in the data contract, so the buckets mean something for this target.
"""

from __future__ import annotations

from typing import Any

from ..config import PACKAGE, TASK
from ..pipeline.columns import ColumnSpec

BUCKETS = 10


def prediction_metric(target: ColumnSpec) -> Any:
    import prometheus_client  # in the worker, after BentoML set up multiprocess metrics

    if TASK == "classification":
        return prometheus_client.Counter(
            f"{PACKAGE}_predictions", "Predictions served, by predicted class", ["value"]
        )
    low = target.bounds.get("ge", target.bounds.get("gt", 0.0))
    high = target.bounds.get("le", target.bounds.get("lt", low + 1.0))
    step = (high - low) / BUCKETS
    return prometheus_client.Histogram(
        f"{PACKAGE}_prediction",
        "Predicted values, in buckets across the target's range in the data contract",
        buckets=[low + step * index for index in range(1, BUCKETS + 1)],
    )


def observe(metric: Any, prediction: Any) -> None:
    if TASK == "classification":
        metric.labels(value=str(prediction)).inc()
    else:
        metric.observe(float(prediction))
