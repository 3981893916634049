"""A batch of predictions is recorded at once, and exactly as one observation each would be."""

from __future__ import annotations

import prometheus_client
import pytest

from {{ cookiecutter.package_name }}.serving import (
    prediction_metrics,
)


def samples(metric) -> list[tuple]:
    return [
        (sample.name.removeprefix(metric._name), sample.labels, sample.value)
        for family in metric.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    ]


def test_a_batch_in_a_histogram_equals_one_observation_per_value(monkeypatch):
    monkeypatch.setattr(prediction_metrics, "TASK", "regression")
    registry = prometheus_client.CollectorRegistry()
    one, batch = (
        prometheus_client.Histogram(name, name, buckets=[1, 2, 3, 4], registry=registry)
        for name in ("one", "batch")
    )
    values = [0.5, 1, 1.0001, 2, 3.5, 4, 4.5, 10, -3]
    for value in values:
        one.observe(value)
    prediction_metrics.observe(batch, values)
    assert samples(batch) == samples(one)


def test_a_batch_of_classes_counts_each_class(monkeypatch):
    monkeypatch.setattr(prediction_metrics, "TASK", "classification")
    registry = prometheus_client.CollectorRegistry()
    counter = prometheus_client.Counter("classes", "c", ["value"], registry=registry)
    prediction_metrics.observe(counter, [True, False, True, True])
    totals = [s for s in counter.collect()[0].samples if s.name.endswith("_total")]
    counts = {s.labels["value"]: s.value for s in totals}
    assert counts == pytest.approx({"True": 3.0, "False": 1.0})
