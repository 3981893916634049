"""Fairness on this project's data: every group measured, missing values a group of their own."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    TASK,
)
from {{ cookiecutter.package_name }}.core.scoring import (
    MISSING_GROUP,
    disparities,
    fairness_metrics,
)


@pytest.fixture(scope="module")
def sensitive(params) -> str:
    """The first sensitive feature: what the tests below measure groups of."""
    if not params.evaluate.sensitive_features:
        pytest.skip("evaluate.sensitive_features is [] in params.yaml: no groups to measure")
    return params.evaluate.sensitive_features[0]


@pytest.fixture(scope="module")
def held_out(splits, model):
    features, actual = splits["test"]
    return features, actual, model.predict(features)


def test_each_sensitive_feature_gets_its_groups_and_measures(params, held_out):
    features, actual, predicted = held_out
    columns = params.evaluate.sensitive_features
    result = fairness_metrics(actual, predicted, features, columns, min_rows=1)  # judge all

    assert set(result) == set(columns)
    for column, fairness in result.items():
        groups = fairness["groups"]
        assert sum(group["rows"] for group in groups.values()) == len(actual)
        assert set(groups) == set(features[column].fillna(MISSING_GROUP).astype(str))
        if len(groups) < 2:
            continue  # one group has nothing to differ from
        expected = {"demographic_parity_difference", "demographic_parity_ratio"}
        expected |= {"equalized_odds_difference"}
        measures = set(fairness) - {"groups"}
        if TASK == "classification":
            assert expected <= measures
            assert 0 <= fairness["demographic_parity_ratio"] <= 1
        else:
            assert not expected & measures
        gaps = {name for name in measures if name.endswith("_gap")}
        assert gaps == {
            f"{metric}_gap" for metric in next(iter(groups.values())) if metric != "rows"
        }


def test_a_missing_sensitive_value_is_a_group_of_its_own(sensitive, held_out):
    features, actual, predicted = held_out
    column = sensitive
    holed = features.copy()
    holed.iloc[:5, holed.columns.get_loc(column)] = None

    groups = fairness_metrics(actual, predicted, holed, [column], min_rows=30)[column]["groups"]

    assert groups[MISSING_GROUP]["rows"] >= 5  # never silently dropped
    assert sum(group["rows"] for group in groups.values()) == len(actual)


def test_small_groups_are_measured_but_left_out_of_the_gaps(sensitive, held_out):
    features, actual, predicted = held_out
    column = sensitive
    everyone = fairness_metrics(actual, predicted, features, [column], min_rows=1)[column]
    beyond_all = len(actual) + 1
    none_large = fairness_metrics(actual, predicted, features, [column], beyond_all)[column]

    assert none_large["groups"] == everyone["groups"]  # shown either way
    assert set(none_large) == {"groups"}  # but nothing to judge: no gap, no disparity


def test_an_unknown_sensitive_feature_names_the_columns(held_out):
    features, actual, predicted = held_out
    with pytest.raises(UserError, match=r"evaluate\.sensitive_features names 'nope'"):
        fairness_metrics(actual, predicted, features, ["nope"], min_rows=30)


def test_a_binary_targets_positive_class_does_not_depend_on_the_labels_type():
    """Evaluate reads labels as the data has them, the performance check as text: both must
    judge the same positive class, or the ratio would compare different things."""
    groups = pd.Series(["a"] * 6 + ["b"] * 6)
    actual = [2, 10, 10, 2, 10, 10, 2, 2, 10, 2, 2, 10]
    predicted = [2, 10, 10, 10, 10, 2, 2, 2, 10, 2, 2, 2]
    as_numbers = disparities(pd.Series(actual), np.array(predicted), groups)
    as_text = disparities(pd.Series(actual).astype(str), np.array(predicted).astype(str), groups)
    assert as_numbers == pytest.approx(as_text)
