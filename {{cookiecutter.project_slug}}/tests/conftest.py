"""Fixtures on the real project data: the tests check this repository's data and model code."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.params import (
    Params,
    load_params,
)
from {{ cookiecutter.package_name }}.core.tables import (
    labelled_rows,
    split_features,
)
from {{ cookiecutter.package_name }}.pipeline.data import (
    split_indices,
)
from {{ cookiecutter.package_name }}.pipeline.estimator import (
    build_model,
)

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paths in params.yaml are relative to the repository root, as in the DVC stages."""
    monkeypatch.chdir(ROOT)


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(ROOT / "params.yaml")


@pytest.fixture(scope="session")
def raw(params: Params) -> pd.DataFrame:
    """The DVC-tracked data. CI without remote credentials sets REQUIRE_DATA=false: skip."""
    path = ROOT / params.data.raw
    if not path.exists() and os.environ.get("REQUIRE_DATA") == "false":
        pytest.skip(f"{params.data.raw} is not here and CI has no DVC remote credentials")
    labelled, _ = labelled_rows(path, params.data.target)  # as every stage reads it
    return labelled.reset_index(drop=True)


@pytest.fixture(scope="session")
def splits(params: Params, raw: pd.DataFrame) -> dict[str, tuple[pd.DataFrame, pd.Series]]:
    train, test = split_indices(raw[params.data.target], params.data.test_size, params.data.seed)
    return {
        "train": split_features(raw.iloc[train], params.data.target),
        "test": split_features(raw.iloc[test], params.data.target),
    }


@pytest.fixture(scope="session")
def model(params: Params, splits):
    """The model as the train stage builds it, fitted in-process on the same split."""
    features, target = splits["train"]
    return build_model(params, features).fit(features, target)
