"""Model behaviour: better than a trivial model, the team's floor, invariances serving needs."""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from {{ cookiecutter.package_name }}.core.model_file import (
    load_model,
    save_model,
)
from {{ cookiecutter.package_name }}.core.params import (
    TASK,
)
from {{ cookiecutter.package_name }}.core.scoring import (
    score,
)
from {{ cookiecutter.package_name }}.pipeline.estimator import (
    build_model,
)


def test_model_beats_a_trivial_one_and_meets_the_floor(model, splits, params):
    """On any learnable data the model beats the majority class (or the mean); the team's
    absolute floor, when params.yaml sets one, holds too."""
    from sklearn.dummy import DummyClassifier, DummyRegressor

    features, target = splits["test"]
    floor = params.evaluate.quality_floor
    metrics = score(model, features, target)
    assert floor.metric in metrics, f"quality_floor.metric must be one of {sorted(metrics)}"
    trivial = DummyRegressor() if TASK == "regression" else DummyClassifier()
    baseline = score(trivial.fit(*splits["train"]), features, target)[floor.metric]
    tolerance = params.review.metrics.get(floor.metric)
    lower_is_better = tolerance is not None and tolerance.better == "lower"
    beats = (
        metrics[floor.metric] < baseline if lower_is_better else metrics[floor.metric] > baseline
    )
    assert beats, f"{floor.metric} = {metrics[floor.metric]:.4f}, a trivial model: {baseline:.4f}"
    if floor.minimum is not None:
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


@pytest.mark.slow  # refits the model twice
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


def fitted_on_threads(params, features, target, threads: int, monkeypatch: pytest.MonkeyPatch):
    """Fit as the train stage does, on `threads` threads: joblib's n_jobs and OpenMP's.

    sklearn caps OpenMP at the core count unless OMP_NUM_THREADS is set, so it is set here:
    4 threads really run, even on a 2-core machine.
    """
    model = build_model(params, features)
    jobs = model.named_steps["model"].get_params().get("n_jobs")
    if jobs is not None:
        model.set_params(model__n_jobs=threads)
    monkeypatch.setenv("OMP_NUM_THREADS", str(threads))
    with threadpool_limits(limits=threads):
        model.fit(features, target)
    if jobs is not None:  # n_jobs is a setting saved with the model, as configured (-1)
        model.set_params(model__n_jobs=jobs)
    mapper = getattr(model.named_steps["model"], "_bin_mapper", None)
    if mapper is not None:  # gradient boosting records the threads it used: it did use them
        assert mapper.n_threads == threads
    return model


@pytest.mark.slow  # refits on one thread and on every core
def test_the_model_file_does_not_depend_on_the_thread_count(splits, params, tmp_path, monkeypatch):
    """dvc.lock holds the model's md5: a CI runner with other cores must reproduce it."""
    features, target = splits["train"]
    files = [
        save_model(
            fitted_on_threads(params, features, target, threads, monkeypatch),
            tmp_path / f"{run}-{threads}-threads.skops",
        )
        for run, threads in enumerate([4, 4, 1])
    ]
    assert len({file.read_bytes() for file in files}) == 1
