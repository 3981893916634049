"""The feature transformer handles missing values and unseen categories the way serving needs."""

from __future__ import annotations

import numpy as np

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


def test_output_has_no_missing_values_even_when_inputs_do(splits):
    features, _ = splits["train"]
    assert features.isna().any().any(), "the sample data should exercise the imputers"
    transformed = build_preprocessor(features).fit_transform(features)
    assert not np.isnan(np.asarray(transformed, dtype=float)).any()


def test_unseen_category_is_ignored_not_an_error(splits):
    features, _ = splits["train"]
    preprocessor = build_preprocessor(features).fit(features)
    row = features.head(1).copy()
    for column in categorical_columns(features):
        row[column] = "category-never-seen-in-training"
    transformed = np.asarray(preprocessor.transform(row), dtype=float)
    assert transformed.shape == (1, len(preprocessor.get_feature_names_out()))
