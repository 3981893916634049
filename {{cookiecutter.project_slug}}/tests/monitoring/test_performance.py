"""Labelled predictions are judged against the reviewed metrics under the review's rules.

Every case is built from this project's own model and data: the model's predictions on the
labelled rows are what was reviewed; labels that agree with the data hold, and labels made
wrong on just enough rows to fall past the project's own tolerances (review.metrics,
review.fairness) are a drop. No metric level or fairness ceiling of the sample is assumed."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    TASK,
    FairnessLimit,
    Params,
    PerformanceParams,
    Tolerance,
)
from {{ cookiecutter.package_name }}.core.scoring import (
    fairness_metrics,
    score_predictions,
)
from {{ cookiecutter.package_name }}.core.tables import (
    split_features,
)
from {{ cookiecutter.package_name }}.monitoring.performance import (
    assess,
)
from {{ cookiecutter.package_name }}.monitoring.verdict import (
    write_gauges,
)

# Shares of the rows whose labels are made wrong, smallest first: 1/128 ... all.
SHARES = [2.0**-power for power in range(7, -1, -1)]


def as_logged(values) -> pd.Series:
    """Values as the check compares them once read back: numbers for regression, text for
    classification (the log is JSON, the labels a CSV)."""
    return pd.Series(values).astype(float if TASK == "regression" else str)


def corrupted(actual: pd.Series, predicted: np.ndarray, share: float, within=None) -> pd.Series:
    """Labels made wrong on `share` of the rows (of `within`, a mask, if given) where the
    model was right: the next class; for regression, twice the model's rmse further from the
    prediction."""
    wrong = as_logged(actual)
    guess = as_logged(predicted).to_numpy()
    eligible = np.ones(len(wrong), dtype=bool) if within is None else np.asarray(within)
    if TASK != "regression":
        eligible = eligible & (wrong.to_numpy() == guess)
    candidates = np.random.default_rng(0).permutation(np.flatnonzero(eligible))
    chosen = np.sort(candidates[: math.ceil(share * len(candidates))])
    if TASK == "regression":
        away = np.where(wrong.to_numpy()[chosen] >= guess[chosen], 1.0, -1.0)
        # The model's own error sets the scale: its rmse, else the target's spread.
        errors = wrong.to_numpy() - guess
        spread = float(np.sqrt(np.mean(errors**2))) or float(wrong.std()) or 1.0
        wrong.iloc[chosen] = wrong.to_numpy()[chosen] + away * 2 * spread
    else:
        classes = sorted(wrong.unique())
        following = dict(zip(classes, classes[1:] + classes[:1], strict=True))
        wrong.iloc[chosen] = wrong.iloc[chosen].map(following)
    return wrong


def worsening(reviewed: float, live: float, better: str) -> float:
    return reviewed - live if better == "higher" else live - reviewed


def beyond_every_limit(tolerance: Tolerance, reviewed: float) -> float:
    """The fall past which a metric regresses under each of its tolerances at once."""
    relative = (tolerance.max_relative_drop or 0.0) * abs(reviewed)
    return max(tolerance.max_drop or 0.0, relative)


def within_every_limit(tolerance: Tolerance, reviewed: float) -> float:
    """The fall that every tolerance of the metric allows."""
    limits = [tolerance.max_drop] if tolerance.max_drop is not None else []
    if tolerance.max_relative_drop is not None:
        limits.append(tolerance.max_relative_drop * abs(reviewed))
    return min(limits)


def any_size(params: Params, rows: int) -> Params:
    """params with performance.min_rows at most the rows at hand: these checks hold on data
    of any size (the minimum has a test of its own)."""
    enough = PerformanceParams(min_rows=min(params.performance.min_rows, rows))
    return params.model_copy(update={"performance": enough})


def write_log(path: Path, predicted: np.ndarray, groups: pd.Series | None = None) -> Path:
    """An inference log of these predictions, ids b-0, b-1 ..., with the group if given."""
    values = pd.Series(predicted).tolist()  # plain Python values, as the service writes them
    names = [None] * len(values) if groups is None else groups.tolist()
    path.write_text(
        "".join(
            json.dumps(
                {"id": f"b-{index}", "prediction": value}
                | ({} if groups is None else {"features": {groups.name: group}})
            )
            + "\n"
            for index, (value, group) in enumerate(
                zip(values, [None if pd.isna(n) else n for n in names], strict=True)
            )
        )
    )
    return path


@pytest.fixture
def served(raw, params, model, tmp_path) -> tuple[Path, pd.Series, np.ndarray, Path]:
    """The model's predictions on every labelled row, logged, and their metrics as reviewed."""
    features, actual = split_features(raw, params.data.target)
    predicted = model.predict(features)
    log = write_log(tmp_path / "log.jsonl", predicted)
    reviewed = tmp_path / "metrics.json"
    reviewed.write_text(json.dumps(score_predictions(as_logged(actual), as_logged(predicted))))
    return log, actual.reset_index(drop=True), predicted, reviewed


def labels_file(path: Path, actual: pd.Series, rows: int | None = None) -> str:
    frame = pd.DataFrame({"id": [f"b-{i}" for i in range(len(actual))], "label": actual})
    frame.head(rows).to_csv(path, index=False)
    return str(path)


def gated_metric(params: Params, reviewed: dict[str, float]) -> str:
    """The first metric of review.metrics that predictions alone can score."""
    name = next((name for name in params.review.metrics if name in reviewed), None)
    if name is None:
        pytest.skip("no metric of review.metrics can be scored from logged predictions alone")
    return name


def test_labels_that_agree_with_the_data_hold(served, params, tmp_path):
    log, actual, predicted, reviewed = served
    params = any_size(params, len(actual))
    outcome = assess(params, log, labels_file(tmp_path / "l.csv", actual), reviewed)
    assert outcome.failed == []
    scored = set(score_predictions(as_logged(actual), as_logged(predicted)))
    assert {row.name for row in outcome.rows} == set(params.review.metrics) & scored
    assert outcome.not_monitored == [name for name in params.review.metrics if name not in scored]


def test_labels_wrong_past_the_tolerance_are_a_drop(served, params, tmp_path):
    log, actual, predicted, reviewed_file = served
    reviewed = score_predictions(as_logged(actual), as_logged(predicted))
    name = gated_metric(params, reviewed)
    tolerance = params.review.metrics[name]
    limit = beyond_every_limit(tolerance, reviewed[name])
    for share in SHARES:  # the fewest wrong labels that fall past every tolerance
        wrong = corrupted(actual, predicted, share)
        fall = worsening(
            reviewed[name], score_predictions(wrong, as_logged(predicted))[name], tolerance.better
        )
        if fall > limit + 1e-9:
            break
    else:
        pytest.skip(
            f"the model's {name} is {reviewed[name]:.4g}: even every label wrong falls by "
            f"{fall:.4g}, within review.metrics.{name} ({limit:.4g})"
        )
    params = any_size(params, len(actual))
    outcome = assess(params, log, labels_file(tmp_path / "l.csv", wrong), reviewed_file)
    assert name in outcome.failed, f"{share:.2%} of labels wrong: {name} fell by {fall:.4g}"


def test_labels_a_little_off_within_the_tolerance_hold(served, params, tmp_path):
    """Noise the review allows is not a drop: the check is not more eager than the gate."""
    log, actual, predicted, reviewed_file = served
    reviewed = score_predictions(as_logged(actual), as_logged(predicted))
    name = gated_metric(params, reviewed)
    tolerance = params.review.metrics[name]
    allowed = within_every_limit(tolerance, reviewed[name])
    falls = {
        share: worsening(
            reviewed[name],
            score_predictions(corrupted(actual, predicted, share), as_logged(predicted))[name],
            tolerance.better,
        )
        for share in [2.0**-power for power in range(16, 3, -1)]  # one row ... 1/16
    }
    small = [share for share, fall in falls.items() if 0 < fall < 0.9 * allowed]  # a margin
    if not small:
        pytest.skip(
            f"on {len(actual)} rows, the fewest wrong labels move {name} by "
            f"{min(falls.values()):.4g}, near or past what review.metrics.{name} allows "
            f"({allowed:.4g}): too few rows to tell noise from a drop"
        )
    wrong = corrupted(actual, predicted, max(small))
    params = any_size(params, len(actual))
    outcome = assess(params, log, labels_file(tmp_path / "l.csv", wrong), reviewed_file)
    assert name not in outcome.failed


def test_too_few_labelled_rows_name_the_minimum(served, params, tmp_path):
    log, actual, _, reviewed = served
    few = labels_file(tmp_path / "l.csv", actual, rows=params.performance.min_rows - 1)
    with pytest.raises(UserError, match=f"performance.min_rows={params.performance.min_rows}"):
        assess(params, log, few, reviewed)


def relative_only(limits: dict[str, FairnessLimit]) -> dict[str, FairnessLimit]:
    """review.fairness's measures with their worsening bounds only. A ceiling (max, min)
    judges the model, which the review did; live labels are judged against the reviewed
    figures, whatever disparity the data has of its own."""
    return {
        name: FairnessLimit(max_increase=limit.max_increase, max_decrease=limit.max_decrease)
        for name, limit in limits.items()
        if limit.max_increase is not None or limit.max_decrease is not None
    }


@pytest.mark.slow  # scores every group of a whole inference log
def test_one_groups_labels_going_wrong_is_named_by_its_group(raw, params, model, tmp_path):
    """Each group is judged as the review judges it: live against reviewed, review.fairness."""
    fairness = params.review.fairness
    if not params.evaluate.sensitive_features or fairness is None or fairness.groups is None:
        pytest.skip(
            "no sensitive feature (evaluate.sensitive_features), or no per-group gate "
            "(review.fairness.groups), in params.yaml"
        )
    column = params.evaluate.sensitive_features[0]
    features, actual = split_features(raw, params.data.target)
    actual, predicted = actual.reset_index(drop=True), model.predict(features)
    values = features[column].reset_index(drop=True)
    sizes = values.dropna().value_counts()
    group, size = sizes.index[0], int(sizes.iloc[0])  # the largest group
    # Any data size: groups as small as the largest one are judged, and the check runs.
    gate = fairness.model_copy(
        update={
            "metrics": relative_only(fairness.metrics),
            "min_rows": min(fairness.min_rows, size),
        }
    )
    review = params.review.model_copy(update={"fairness": gate})
    # The check below scores the other groups alone: they may hold fewer rows than min_rows.
    params = any_size(params, max(len(actual) - size, 1)).model_copy(update={"review": review})

    log = write_log(tmp_path / "log.jsonl", predicted, values.rename(column))
    truth, guess = as_logged(actual), as_logged(predicted)
    groups = fairness_metrics(truth, guess.to_numpy(), values.to_frame(), [column], gate.min_rows)
    reviewed = tmp_path / "metrics.json"
    reviewed.write_text(
        json.dumps(score_predictions(truth, guess.to_numpy()) | {"fairness": groups})
    )
    holds = assess(params, log, labels_file(tmp_path / "right.csv", actual), reviewed)
    assert holds.failed == [] and holds.unfair == []
    assert "| reviewed" in holds.fairness and "| live" in holds.fairness

    in_group = (values == group).to_numpy()
    if not in_group.all():
        others = tmp_path / "others.csv"  # no label has arrived for that group yet: not a drop
        labelled = pd.DataFrame({"id": [f"b-{i}" for i in range(len(actual))], "label": actual})
        labelled[~in_group].to_csv(others, index=False)
        assert assess(params, log, str(others), reviewed).failed == []

    metric, tolerance = gate.groups.metric, gate.groups  # a GroupGate is its Tolerance
    wrong = corrupted(actual, predicted, share=1.0, within=in_group)
    before = score_predictions(truth[in_group], guess[in_group].to_numpy())[metric]
    after = score_predictions(wrong[in_group], guess[in_group].to_numpy())[metric]
    if worsening(before, after, tolerance.better) <= beyond_every_limit(tolerance, before):
        pytest.skip(
            f"the model's {metric} on {column}={group} is {before:.4g}: even every label there "
            "wrong stays within review.fairness.groups"
        )
    outcome = assess(params, log, labels_file(tmp_path / "wrong.csv", wrong), reviewed)
    assert f"{metric}[{column}={group}]" in outcome.unfair
    assert set(outcome.unfair) <= set(outcome.failed)
    gauges = write_gauges(tmp_path / "performance.prom", outcome).read_text()
    assert f'group="{group}",metric="{metric}"' in gauges
