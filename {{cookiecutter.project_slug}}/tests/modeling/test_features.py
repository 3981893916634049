"""The feature transformer handles missing values (blanked here, whether or not the data has
any) and unseen categories the way serving needs."""

from __future__ import annotations

import numpy as np
import pytest

from {{ cookiecutter.package_name }}.modeling.features import (
    build_preprocessor,
    categorical_columns,
    numeric_columns,
)


def test_every_feature_column_is_numeric_or_categorical(splits):
    features, _ = splits["train"]
    numeric, categorical = numeric_columns(features), categorical_columns(features)
    assert sorted(numeric + categorical) == sorted(map(str, features.columns))
    assert not set(numeric) & set(categorical)


def with_holes(features):
    """A copy with every tenth row's values blanked: the imputers are exercised whether or
    not this project's data has missing values of its own."""
    holed = features.astype({column: float for column in numeric_columns(features)})
    holed = holed.astype({column: object for column in categorical_columns(features)})
    holed.iloc[::10, :] = None
    return holed


def test_output_has_no_missing_values_even_when_inputs_do(splits):
    features, _ = splits["train"]
    holed = with_holes(features)
    assert holed.isna().any().all(), "every column has a missing value"
    transformed = build_preprocessor(holed).fit_transform(holed)
    assert not np.isnan(np.asarray(transformed, dtype=float)).any()


def test_unseen_category_is_ignored_not_an_error(splits):
    features, _ = splits["train"]
    if not categorical_columns(features):
        pytest.skip("the data has no text or bool feature column: no category to be unseen")
    preprocessor = build_preprocessor(features).fit(features)
    row = features.head(1).copy()
    for column in categorical_columns(features):
        row[column] = "category-never-seen-in-training"
    transformed = np.asarray(preprocessor.transform(row), dtype=float)
    assert transformed.shape == (1, len(preprocessor.get_feature_names_out()))
