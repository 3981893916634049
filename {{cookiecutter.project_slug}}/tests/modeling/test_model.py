"""Model behaviour: a quality floor kept in params.yaml, and invariances serving relies on."""

from __future__ import annotations

import numpy as np

from {{ cookiecutter.package_name }}.modeling.metrics import (
    score,
)
from {{ cookiecutter.package_name }}.modeling.model import (
    build_model,
)
from {{ cookiecutter.package_name }}.pipeline.artifacts import (
    load_model,
    save_model,
)


def test_model_meets_the_quality_floor(model, splits, params):
    features, target = splits["test"]
    floor = params.evaluate.quality_floor
    metrics = score(model, features, target)
    assert floor.metric in metrics, f"quality_floor.metric must be one of {sorted(metrics)}"
    assert metrics[floor.metric] >= floor.minimum, (
        f"{floor.metric} = {metrics[floor.metric]:.4f} is below the floor {floor.minimum}"
    )


def test_predictions_do_not_depend_on_column_order(model, splits):
    features, _ = splits["test"]
    shuffled = features[list(reversed(features.columns))]
    np.testing.assert_array_equal(model.predict(features), model.predict(shuffled))


def test_predictions_ignore_an_irrelevant_column(model, splits):
    features, _ = splits["test"]
    noisy = features.assign(irrelevant_id=np.arange(len(features)))
    np.testing.assert_array_equal(model.predict(features), model.predict(noisy))


def test_retraining_saves_a_byte_identical_model(model, splits, params, tmp_path):
    """Same data, params and code give the same DVC hash: CI relies on it to check dvc.lock."""
    features, target = splits["train"]
    again = build_model(params, features).fit(features, target)
    first, second = save_model(model, tmp_path / "a.skops"), save_model(again, tmp_path / "b.skops")
    assert first.read_bytes() == second.read_bytes()
    test_features, _ = splits["test"]
    np.testing.assert_array_equal(
        load_model(first).predict(test_features), model.predict(test_features)
    )
