"""Labelled predictions are judged against the reviewed metrics under the review's rules."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.fairness import (
    fairness_metrics,
)
from {{ cookiecutter.package_name }}.core.params import (
    TASK,
    PerformanceParams,
)
from {{ cookiecutter.package_name }}.core.scoring import (
    score_predictions,
)
from {{ cookiecutter.package_name }}.monitoring.performance import (
    assess,
    write_prometheus,
)


def degraded(actual: pd.Series, share_every: int = 4) -> pd.Series:
    """Every n-th label made wrong: another class, or the value moved by two deviations."""
    wrong = actual.copy()
    rows = np.arange(len(actual)) % share_every == 0
    if TASK == "regression":
        wrong[rows] = wrong[rows] + 2 * actual.std()
    else:
        classes = sorted(actual.unique())
        following = dict(zip(classes, classes[1:] + classes[:1], strict=True))
        wrong[rows] = wrong[rows].map(following)
    return wrong


def predictions_of(actual: pd.Series) -> pd.Series:
    """A model's predictions: right for classification, a tenth of a deviation off for
    regression (a perfect rmse of 0 would leave no relative drop to measure)."""
    if TASK != "regression":
        return actual
    signs = np.where(np.arange(len(actual)) % 2 == 0, 1.0, -1.0)
    return actual + signs * 0.1 * actual.std()


@pytest.fixture
def served(raw, params, tmp_path) -> tuple[Path, pd.Series, Path]:
    """A log of a model's predictions, and those predictions' metrics as reviewed."""
    actual = raw[params.data.target].reset_index(drop=True)
    predicted = predictions_of(actual)
    log = tmp_path / "log.jsonl"
    log.write_text(
        "".join(
            json.dumps({"id": f"b-{index}", "prediction": value}) + "\n"
            for index, value in enumerate(predicted.tolist())
        )
    )
    reviewed = tmp_path / "metrics.json"
    reviewed.write_text(json.dumps(score_predictions(actual, predicted.to_numpy())))
    return log, actual, reviewed


def labels_file(path: Path, actual: pd.Series, rows: int | None = None) -> str:
    frame = pd.DataFrame({"id": [f"b-{i}" for i in range(len(actual))], "label": actual})
    frame.head(rows).to_csv(path, index=False)
    return str(path)


def test_labels_that_agree_with_the_review_hold(served, params, tmp_path):
    log, actual, reviewed = served
    outcome = assess(params, log, labels_file(tmp_path / "l.csv", actual), reviewed)
    assert outcome.dropped == []
    assert {row.name for row in outcome.rows} == set(params.review.metrics) - {"roc_auc"}
    assert outcome.not_monitored == [name for name in params.review.metrics if name == "roc_auc"]


def test_labels_wrong_for_a_quarter_of_rows_are_a_drop(served, params, tmp_path):
    log, actual, reviewed = served
    outcome = assess(params, log, labels_file(tmp_path / "l.csv", degraded(actual)), reviewed)
    first_gated = next(iter(params.review.metrics))  # accuracy, or rmse
    assert first_gated in outcome.dropped


def test_too_few_labelled_rows_name_the_minimum(served, params, tmp_path):
    log, actual, reviewed = served
    few = labels_file(tmp_path / "l.csv", actual, rows=params.performance.min_rows - 1)
    with pytest.raises(UserError, match=f"performance.min_rows={params.performance.min_rows}"):
        assess(params, log, few, reviewed)


def test_one_groups_labels_going_wrong_is_named_by_its_group(raw, params, tmp_path):
    """Each group is judged as the review judges it: live against reviewed, review.fairness."""
    if not params.evaluate.sensitive_features or params.review.fairness.groups is None:
        pytest.skip("no sensitive feature, or no per-group gate, in params.yaml")
    column = params.evaluate.sensitive_features[0]
    # Any data size: the check below scores a subset, which may hold fewer rows than min_rows.
    params = params.model_copy(update={"performance": PerformanceParams(min_rows=1)})
    rows = raw.dropna(subset=[params.data.target]).reset_index(drop=True)
    actual = rows[params.data.target]
    predicted = predictions_of(actual)
    log = tmp_path / "log.jsonl"
    log.write_text(
        "".join(
            json.dumps({"id": f"b-{i}", "features": {column: group}, "prediction": value}) + "\n"
            for i, (group, value) in enumerate(zip(rows[column], predicted.tolist(), strict=True))
        )
    )
    gate = params.review.fairness
    groups = fairness_metrics(actual, predicted.to_numpy(), rows, [column], gate.min_rows)
    reviewed = tmp_path / "metrics.json"
    reviewed.write_text(
        json.dumps(score_predictions(actual, predicted.to_numpy()) | {"fairness": groups})
    )
    holds = assess(params, log, labels_file(tmp_path / "right.csv", actual), reviewed)
    assert holds.dropped == [] and holds.unfair == []
    assert "| reviewed" in holds.fairness and "| live" in holds.fairness

    group = rows[column].dropna().value_counts().index[0]  # the largest group
    in_group = (rows[column] == group).to_numpy()
    others = tmp_path / "others.csv"  # no label has arrived for that group yet: not a drop
    pd.DataFrame({"id": [f"b-{i}" for i in range(len(rows))], "label": actual})[~in_group].to_csv(
        others, index=False
    )
    assert assess(params, log, str(others), reviewed).dropped == []
    wrong = actual.where(~in_group, degraded(actual, share_every=1))
    outcome = assess(params, log, labels_file(tmp_path / "wrong.csv", wrong), reviewed)
    assert f"{gate.groups.metric}[{column}={group}]" in outcome.unfair
    assert set(outcome.unfair) <= set(outcome.dropped)
    gauges = write_prometheus(outcome, tmp_path / "performance.prom").read_text()
    assert f'group="{group}",metric="{gate.groups.metric}"' in gauges
