"""A model file is data, never code: loading refuses any type outside the exact allowlist."""

from __future__ import annotations

import builtins
import warnings

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.model_call import (
    for_serving,
    one_warning_filter,
)
from {{ cookiecutter.package_name }}.core.model_file import (
    load_model,
    save_model,
)
from {{ cookiecutter.package_name }}.modeling.model import (
    TRUSTED_TYPES,
)


def evil_pipeline(model, features):
    """The attack: a step that evals a column, so `predict` would run a request as code.

    The project's estimator goes in unfitted: what is refused is the step, and a fitted
    forest would only make every dump slower."""
    column = str(features.columns[0])
    return Pipeline(
        [
            (
                "eval",
                ColumnTransformer(
                    [("run", FunctionTransformer(np.vectorize(builtins.eval)), [column])],
                    remainder="passthrough",
                ),
            ),
            ("model", clone(model)),
        ]
    )


def test_evaluate_and_serve_refuse_a_model_file_that_would_run_code(model, splits, tmp_path):
    """Both load with load_model: a planted file is refused, naming the types."""
    path = tmp_path / "model.skops"
    path.write_bytes(sio.dumps(evil_pipeline(model, splits["train"][0])))
    with pytest.raises(UserError) as refused:
        load_model(path)
    assert "builtins.eval" in str(refused.value)
    assert "numpy.vectorize" in str(refused.value)


def test_train_refuses_to_save_such_a_model_and_writes_nothing(model, splits, tmp_path):
    path = tmp_path / "model.skops"
    with pytest.raises(UserError, match=r"builtins\.eval"):
        save_model(evil_pipeline(model, splits["train"][0]), path)
    assert not path.exists()


def test_nothing_is_trusted_by_prefix():
    assert all(name.count(".") >= 1 and not name.endswith(".") for name in TRUSTED_TYPES)
    assert not {"builtins.eval", "builtins.exec", "numpy.vectorize"} & TRUSTED_TYPES


@pytest.fixture(scope="module")
def reloaded(model, tmp_path_factory):
    """The project's model through a model file, saved and loaded once for this module."""
    return load_model(save_model(model, tmp_path_factory.mktemp("model") / "model.skops"))


def test_this_projects_model_loads_under_the_allowlist(reloaded):
    assert isinstance(reloaded, Pipeline)


def test_a_served_model_predicts_on_one_thread_and_the_same(reloaded, splits):
    """Serving's batches are small: joblib threads would cost more than they give."""
    features, _ = splits["test"]
    expected = reloaded.predict(features)
    served = for_serving(reloaded)
    for _, step in served.steps:
        assert step.get_params(deep=False).get("n_jobs", 1) == 1
    np.testing.assert_array_equal(served.predict(features), expected)


def test_a_served_model_call_meets_one_warnings_filter_and_silence(model, splits):
    """sklearn re-applies every filter per tree; one filter is cheap and still keeps the
    per-tree joblib warning quiet. The process's filters come back after the call."""
    features, _ = splits["test"]
    expected = model.predict(features)
    with warnings.catch_warnings(record=True) as caught:
        before = list(warnings.filters)
        with one_warning_filter():
            assert len(warnings.filters) == 1
            predicted = model.predict(features)
        assert warnings.filters == before
    assert not caught
    np.testing.assert_array_equal(predicted, expected)
