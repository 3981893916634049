"""The data contract accepts this repository's data and rejects each kind of bad data."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.contract import (
    ColumnSpec,
    read_columns,
    serving_columns,
    write_serving_columns,
)
from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    Params,
)
from {{ cookiecutter.package_name }}.core.tables import (
    read_table,
)
from {{ cookiecutter.package_name }}.pipeline.contract import (
    MAX_CATEGORIES,
    infer_contract,
    load_contract,
    validate_frame,
)


@pytest.fixture(scope="module")
def contract(params: Params):
    return load_contract(params.data.schema_file)


@pytest.fixture(scope="module")
def columns(params: Params) -> list[ColumnSpec]:
    """The feature columns as the contract declares them."""
    features, _ = read_columns(params.data.schema_file, params.data.target)
    return features


def declared(columns: list[ColumnSpec], what: str) -> ColumnSpec:
    """The first feature column the contract gives a range (`bounded`), a closed set of
    categories (`categorical`) or a number type (`numeric`): skip, naming it, if none."""
    wanted = {
        "bounded": lambda column: bool(column.bounds),
        "categorical": lambda column: column.kind is str and bool(column.categories),
        "numeric": lambda column: column.kind in (int, float),
    }[what]
    found = next((column for column in columns if wanted(column)), None)
    if found is None:
        reasons = {
            "bounded": "no feature column with a range (in_range) in the data contract",
            "categorical": "no text feature column with a closed set of categories (isin) in "
            f"the data contract; `make schema` gives one to text columns of at most "
            f"{MAX_CATEGORIES} values",
            "numeric": "no numeric feature column in the data contract",
        }
        pytest.skip(reasons[what])
    return found


def beyond(column: ColumnSpec) -> float:
    """A value past the column's declared range: above its top, else below its bottom."""
    bounds = column.bounds
    if "le" in bounds or "lt" in bounds:
        top = bounds.get("le", bounds.get("lt"))
        value = top + max(abs(top), 1.0) * 10 + 1
    else:
        bottom = bounds.get("ge", bounds.get("gt"))
        value = bottom - max(abs(bottom), 1.0) * 10 - 1
    return float(math.floor(value) if value > 0 else math.ceil(value))


def rejection(frame: pd.DataFrame, contract, params: Params) -> str:
    with pytest.raises(UserError) as caught:
        validate_frame(frame, contract, params.data.raw)
    return str(caught.value)


def test_repository_data_meets_its_contract(raw, contract, params):
    validate_frame(raw, contract, params.data.raw)


def test_missing_column_is_named(raw, contract, params, columns):
    column = columns[0].name
    report = rejection(raw.drop(columns=[column]), contract, params)
    assert f"column '{column}': missing from the data" in report


def test_wrong_dtype_is_reported_with_row_count(raw, contract, params, columns):
    column = declared(columns, "numeric").name
    bad = raw.astype({column: object})
    bad.loc[bad.index[:3], column] = "not a number"
    report = rejection(bad, contract, params)
    assert f"column '{column}'" in report and "fails on 3 rows" in report


def test_nan_in_target_is_rejected(raw, contract, params):
    bad = raw.copy()
    bad.loc[bad.index[0], params.data.target] = np.nan
    report = rejection(bad, contract, params)
    assert f"column '{params.data.target}': check not_nullable fails on 1 row" in report


def test_value_outside_declared_range_is_rejected(raw, contract, params, columns):
    bounded = declared(columns, "bounded")
    column = bounded.name
    bad = raw.astype({column: float})
    bad.loc[bad.index[:2], column] = beyond(bounded)
    report = rejection(bad, contract, params)
    assert f"column '{column}': check in_range" in report and "fails on 2 rows" in report


def test_report_on_many_bad_rows_stays_short(raw, contract, params, columns):
    """A large bad file gives counts and a few examples per check, not a row-by-row dump."""
    bounded = declared(columns, "bounded")
    column = bounded.name
    bad = raw.copy()
    step = 1.0 if beyond(bounded) > 0 else -1.0  # further out, each row a distinct value
    bad[column] = beyond(bounded) + step * np.arange(len(raw))
    report = rejection(bad, contract, params)
    line = next(line for line in report.splitlines() if f"column '{column}'" in line)
    assert f"fails on {len(raw)} rows" in line
    assert line.count(" at row ") == 3
    assert len(report.splitlines()) <= 3


def test_unknown_category_is_rejected(raw, contract, params, columns):
    column = declared(columns, "categorical").name
    bad = raw.copy()
    bad.loc[bad.index[0], column] = "never-seen-before"
    report = rejection(bad, contract, params)
    assert f"column '{column}': check isin" in report


def test_empty_file_gets_a_clear_error(tmp_path: Path):
    empty = tmp_path / "data.csv"
    empty.write_text("")
    with pytest.raises(UserError, match="is empty"):
        read_table(empty)


def test_unknown_target_lists_the_columns(tmp_path: Path, raw):
    path = tmp_path / "data.csv"
    raw.to_csv(path, index=False)
    with pytest.raises(UserError, match="its columns are: ") as caught:
        read_table(path, target="no_such_column")
    assert str(raw.columns[0]) in str(caught.value)


def test_inferred_contract_never_allows_a_null_target(raw, params):
    schema = infer_contract(raw, params.data.target)
    assert schema.columns[params.data.target].nullable is False


def test_the_bento_gets_the_same_columns_and_a_stale_copy_is_ignored(params, tmp_path, monkeypatch):
    """The service reads the columns `make bento` wrote (no pandera in the image): they are the
    contract's, and a copy written for another schema is never used."""
    from {{ cookiecutter.package_name }}.core import contract as module

    monkeypatch.setattr(module, "SERVING_COLUMNS", tmp_path / "columns.json")
    expected = read_columns(params.data.schema_file, params.data.target)
    write_serving_columns(params.data.schema_file, params.data.target, tmp_path / "columns.json")
    assert serving_columns(params.data.schema_file, params.data.target) == expected

    changed = tmp_path / "schema.yaml"
    changed.write_text(params.data.schema_file.read_text() + "\n# tightened\n")
    document = (tmp_path / "columns.json").read_text().replace(expected[0][0].name, "renamed")
    (tmp_path / "columns.json").write_text(document)
    assert serving_columns(changed, params.data.target) == expected  # md5 differs: re-read
