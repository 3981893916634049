"""The review's cost gate: its margins, the model complexity it reads, the table it renders."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError
from sklearn.pipeline import Pipeline

from {{ cookiecutter.package_name }}.core.model_call import (
    for_serving,
)
from {{ cookiecutter.package_name }}.core.params import (
    TASK,
    CostLimit,
    CostParams,
)
from {{ cookiecutter.package_name }}.modeling.model import (
    ESTIMATORS,
)
from {{ cookiecutter.package_name }}.pipeline.estimator import (
    estimator_class,
)
from {{ cookiecutter.package_name }}.review import (
    cost,
)

TIMING = CostLimit(max_relative_increase=0.5, max_increase=2)
SIZE = CostLimit(max_relative_increase=0.5)


@pytest.mark.parametrize(
    ("main", "pr", "expected"),
    [
        (10.0, 10.0, "unchanged"),
        (10.0, 14.0, "within tolerance"),  # +40%: within the relative margin
        (10.0, 16.0, "regressed"),  # +60% and +6 ms: beyond both
        (0.1, 0.4, "within tolerance"),  # +300% of a tiny model, but only +0.3 ms
        (100.0, 130.0, "within tolerance"),  # +30 ms, but only +30%
        (16.0, 10.0, "improved"),  # main's would regress against it: beyond both margins
        (14.0, 10.0, "within tolerance"),  # faster, within the noise
    ],
)
def test_a_timing_fails_only_when_worse_by_both_margins(main, pr, expected):
    assert cost.judge("latency_one_p50_ms", main, pr, TIMING) == expected


@pytest.mark.parametrize(
    ("main", "pr", "expected"),
    [
        (3.0, 3.0, "unchanged"),
        (3.0, 4.4, "within tolerance"),
        (3.0, 4.6, "regressed"),  # +53%, however small in megabytes
        (3.0, 1.0, "improved"),
    ],
)
def test_model_size_fails_on_the_relative_margin_alone(main, pr, expected):
    assert cost.judge("model_size_mb", main, pr, SIZE) == expected
    assert cost.judge("complexity", main * 1000, pr * 1000, SIZE) == expected


def test_a_figure_without_a_rule_or_a_side_is_not_gated():
    assert cost.judge("latency_one_p95_ms", 1.0, 9.0, None) == "not gated"
    assert cost.judge("train_seconds", None, 9.0, TIMING) == "not gated"


def test_a_timing_rule_without_an_absolute_margin_is_refused():
    with pytest.raises(ValidationError, match="give max_increase for latency_batch_p50_ms"):
        CostParams(limits={"latency_batch_p50_ms": {"max_relative_increase": 0.5}})
    with pytest.raises(ValidationError):
        CostParams(limits={"no_such_figure": {"max_relative_increase": 0.5}})


def tiny_data() -> tuple[pd.DataFrame, pd.Series]:
    """Synthetic rows: the point is the estimator's shape, not the project's data."""
    rng = np.random.default_rng(0)
    features = pd.DataFrame(rng.normal(size=(80, 3)), columns=["a", "b", "c"])
    signal = features["a"] + rng.normal(scale=0.5, size=80)
    target = (signal > 0).astype(int) if TASK == "classification" else signal
    return features, target


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_listed_estimator_reports_its_complexity(name):
    features, target = tiny_data()
    model = Pipeline([("model", estimator_class(name)())]).fit(features, target)
    found = cost.complexity(model)
    assert found is not None, f"{name}: neither trees nor coefficients found"
    count, description = found
    assert count > 0
    assert f"{count:,}" in description


def test_the_projects_model_is_timed_on_its_own_test_records(model, splits, monkeypatch):
    monkeypatch.setattr(cost, "CALLS", 2)
    monkeypatch.setattr(cost, "ROUNDS", 1)
    features, _ = splits["test"]
    served = for_serving(copy.deepcopy(model))
    timings = cost.latencies({"main": served, "pr": served}, features, batch=min(5, len(features)))
    for side in ("main", "pr"):
        assert set(timings[side]) == {
            "latency_one_p50_ms",
            "latency_one_p95_ms",
            "latency_batch_p50_ms",
            "latency_batch_p95_ms",
            "cpu_ms_per_record",
        }
        assert all(value >= 0 for value in timings[side].values())
        assert timings[side]["latency_one_p95_ms"] >= timings[side]["latency_one_p50_ms"]


def test_the_table_names_each_figure_its_rule_and_status():
    limits = {"latency_one_p50_ms": TIMING, "model_size_mb": SIZE}
    main = {"latency_one_p50_ms": 10.0, "model_size_mb": 3.0, "complexity": 500}
    pr = {"latency_one_p50_ms": 80.0, "model_size_mb": 30.0, "complexity": 5000}
    text = cost.table(cost.rows_of(main, pr, limits), ["a note"])
    assert text.startswith("### Cost\n\na note\n")
    assert "| figure | main | PR | change | rule | status |" in text
    assert "| latency_one_p50_ms | 10 ms | 80 ms | +700% | fails above +50% and +2 ms | ❌" in text
    assert "| model_size_mb | 3 MB | 30 MB | +900% | fails above +50% | ❌ regressed |" in text
    assert "| complexity | 500 | 5,000 | +900% | not gated | ⚪ not gated |" in text


def test_without_a_baseline_the_prs_figures_stand_alone():
    rows = cost.rows_of({}, {"model_size_mb": 3.0}, {"model_size_mb": SIZE})
    assert [(row.main, row.pr, row.status) for row in rows] == [(None, 3.0, "new")]
    row = "| model_size_mb | n/a | 3 MB | n/a | fails above +50% | 🆕 new |"
    assert row in cost.table(rows, [])


def test_a_workspace_without_its_model_is_not_measured_nor_failed(tmp_path, monkeypatch, params):
    monkeypatch.chdir(tmp_path)  # nothing reproduced: no model file, no test split
    found = cost.measure("HEAD", CostParams(), params.data.target)
    assert found.markdown.startswith("### Cost\n\nNot measured: models/model.skops")
    assert found.regressions == []
