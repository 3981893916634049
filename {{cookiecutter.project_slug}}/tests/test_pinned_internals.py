"""The libraries' private parts our code relies on are still where it expects them.

pyproject.toml caps these libraries below their next minor release for this reason. Before
raising a cap, run these tests against the new version: each failure names what moved and
the module of ours to fix. They test the libraries alone, except the contract reader's test,
which reads a schema pandera itself wrote.
"""

from __future__ import annotations

import io
import re
import zipfile
from types import SimpleNamespace

import numpy as np
import pytest


def moved(what: str, ours: str, why: str) -> str:
    return f"{what} moved or changed; fix {ours} ({why}), then raise the bound in pyproject.toml"


def test_bentoml_builds_its_timeout_middleware_from_the_traffic_module(monkeypatch):
    """serving/http_guard.py replaces `traffic.TimeoutMiddleware`: BentoML must still
    look the class up there each time it builds a service's middlewares, with `timeout=`."""
    why = "install_request_timeout() patches it to stop BentoML's per-request timers piling up"
    try:
        from bentoml._internal.server import base_app
        from bentoml._internal.server.http import traffic
    except ImportError as error:
        pytest.fail(moved(f"bentoml._internal.server ({error})", "serving/http_guard.py", why))
    if not hasattr(traffic, "TimeoutMiddleware"):
        pytest.fail(
            moved(
                "bentoml._internal.server.http.traffic.TimeoutMiddleware",
                "serving/http_guard.py",
                why,
            )
        )

    class Replacement:
        def __init__(self, app: object, timeout: float) -> None: ...

    monkeypatch.setattr(traffic, "TimeoutMiddleware", Replacement)
    app = SimpleNamespace(timeout=7.0, max_concurrency=None)
    built = base_app.BaseAppFactory.middlewares.fget(app)  # type: ignore[attr-defined]
    assert [(m.cls, m.kwargs) for m in built] == [(Replacement, {"timeout": 7.0})], moved(
        "BentoML's middleware assembly (BaseAppFactory.middlewares no longer imports "
        "traffic.TimeoutMiddleware at call time, or passes other arguments)",
        "serving/http_guard.py",
        why,
    )


def test_prometheus_histogram_keeps_its_bounds_buckets_and_sum():
    """serving/prediction_metrics.py records a batch by incrementing `_buckets[slot]` and
    `_sum` itself, the slot found in `_upper_bounds`; it must equal one observe() per value.
    Without these attributes serving fails on its first batch."""
    import prometheus_client

    registry = prometheus_client.CollectorRegistry()
    one, batch = (
        prometheus_client.Histogram(name, name, buckets=[1, 2, 3], registry=registry)
        for name in ("one", "batch")
    )
    missing = [name for name in ("_upper_bounds", "_buckets", "_sum") if not hasattr(batch, name)]
    why = "observe() records a batch through them"
    assert not missing, moved(
        f"prometheus_client.Histogram's {', '.join(missing)}", "serving/prediction_metrics.py", why
    )
    values = np.array([0.5, 1.0, 1.5, 3.0, 7.0, -2.0])
    for value in values:
        one.observe(float(value))
    bounds = batch._upper_bounds
    slots = np.minimum(np.searchsorted(bounds, values, side="left"), len(bounds) - 1)
    for slot, count in enumerate(np.bincount(slots, minlength=len(bounds)).tolist()):
        if count:
            batch._buckets[slot].inc(count)
    batch._sum.inc(float(values.sum()))

    def samples(metric: prometheus_client.Histogram) -> list[tuple]:
        return [
            (sample.name.removeprefix(metric._name), sample.labels, sample.value)
            for family in metric.collect()
            for sample in family.samples
            if not sample.name.endswith("_created")
        ]

    assert samples(batch) == samples(one), moved(
        "prometheus_client.Histogram's bucket layout (what _upper_bounds/_buckets/_sum mean)",
        "serving/prediction_metrics.py",
        why,
    )


def tiny_fit() -> dict[str, object]:
    """One of each tree model the project trains, fitted on 20 rows."""
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

    rows = np.random.default_rng(0).normal(size=(20, 3))
    target = rows[:, 0] + rows[:, 1]
    return {
        "gradient_boosting": HistGradientBoostingRegressor(max_iter=3).fit(rows, target),
        "random_forest": RandomForestRegressor(n_estimators=2, random_state=0).fit(rows, target),
    }


def test_sklearn_hist_gradient_boosting_records_its_thread_count_in_the_bin_mapper():
    """core/model_file.py sets `_bin_mapper.n_threads` to None before saving, so the file
    does not depend on the machine's core count. If the attribute moves, it skips silently
    and `make reproduce` gives another model hash on another machine."""
    model = tiny_fit()["gradient_boosting"]
    mapper = getattr(model, "_bin_mapper", None)
    assert mapper is not None and hasattr(mapper, "n_threads"), moved(
        "HistGradientBoosting's _bin_mapper.n_threads",
        "without_thread_counts in core/model_file.py",
        "the saved model must not record the core count",
    )


# What skops reports as untrusted for the project's models: the private type names listed in
# TRUSTED_TYPES in modeling/model.py (numpy.dtype, for some models, too).
TRUSTED_TYPES = {
    "numpy.dtype",
    "sklearn.tree._tree.Tree",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
}
# core/model_file.py's OBJECT_ID: how skops names shared objects and array files.
OBJECT_ID = re.compile(r'"__id__": (\d+)|"(\d+)\.npy"')


def test_skops_asks_only_about_the_tree_types_we_trust():
    """A type skops newly asks about, or a tree type renamed, makes every model load fail."""
    import skops.io as sio

    untrusted = set(sio.get_untrusted_types(data=sio.dumps(tiny_fit())))
    assert untrusted <= TRUSTED_TYPES, moved(
        f"skops or sklearn type names (now asked about: {sorted(untrusted - TRUSTED_TYPES)})",
        "TRUSTED_TYPES in modeling/model.py",
        "it lists the exact types a model file may hold",
    )


def test_skops_archive_layout_is_what_canonical_skops_renumbers():
    """canonical_skops reads schema.json, renumbers every `"__id__": N` and `"N.npy"` in it
    and renames the N.npy files to match; anything else would make saves nondeterministic
    (or lose arrays)."""
    import skops.io as sio

    with zipfile.ZipFile(io.BytesIO(sio.dumps(tiny_fit()))) as archive:
        names = archive.namelist()
        schema = archive.read("schema.json").decode() if "schema.json" in names else ""
    ids = {match.group(1) or match.group(2) for match in OBJECT_ID.finditer(schema)}
    arrays = {name.removesuffix(".npy") for name in names if name != "schema.json"}
    fix = "canonical_skops in core/model_file.py"
    why = "it renumbers object ids so the same model gives the same bytes"
    assert schema, moved(f"skops' archive layout (no schema.json among {names[:5]})", fix, why)
    assert re.search(r'"__id__": \d+', schema), moved("skops' '\"__id__\": N' keys", fix, why)
    assert arrays and all(name.isdigit() for name in arrays), moved(
        f"skops' array file names (expected N.npy, got {sorted(names)[:5]})", fix, why
    )
    assert arrays <= ids, moved("skops' references to its array files in schema.json", fix, why)


def test_pandera_checks_read_back_as_the_contract_reader_expects(tmp_path):
    """core/contract.py reads each check's `name` and `statistics` from pandera's own schema
    objects: dtype, nullable, in_range, isin, str_length and the comparison checks."""
    import pandera.pandas as pa

    from {{ cookiecutter.package_name }}.core.contract import (
        read_columns,
    )

    schema = pa.DataFrameSchema(
        {
            "number": pa.Column(float, pa.Check.in_range(0.0, 5.0), nullable=True),
            "count": pa.Column(int, [pa.Check.ge(1), pa.Check.lt(9)]),
            "text": pa.Column(str, [pa.Check.isin(["a", "b"]), pa.Check.str_length(max_value=9)]),
            "target": pa.Column(str),
        }
    )
    path = tmp_path / "schema.yaml"
    path.write_text(schema.to_yaml())
    features, _ = read_columns(path, "target")
    number, count, text = features
    found = {
        "kinds": [number.kind, count.kind, text.kind],
        "nullable": number.nullable,
        "in_range": number.bounds,
        "comparisons": count.bounds,
        "isin": text.categories,
        "str_length": text.max_length,
    }
    assert found == {
        "kinds": [float, int, str],
        "nullable": True,
        "in_range": {"ge": 0.0, "le": 5.0},
        "comparisons": {"ge": 1.0, "lt": 9.0},
        "isin": frozenset({"a", "b"}),
        "str_length": 9,
    }, moved("pandera's check names or statistics", "_spec in core/contract.py", "it reads them")
