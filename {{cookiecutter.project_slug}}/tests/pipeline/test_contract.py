"""The data contract accepts this repository's data and rejects each kind of bad data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    DataContractError,
    UserError,
)
from {{ cookiecutter.package_name }}.core.params import (
    Params,
)
from {{ cookiecutter.package_name }}.core.tables import (
    read_table,
)
from {{ cookiecutter.package_name }}.pipeline.contract import (
    infer_contract,
    load_contract,
    validate_frame,
)


@pytest.fixture(scope="module")
def contract(params: Params):
    return load_contract(params.data.schema_file)


def first_column(raw: pd.DataFrame, kind: str, target: str) -> str:
    for name, values in raw.drop(columns=[target]).items():
        numeric = pd.api.types.is_numeric_dtype(values)
        if (kind == "numeric") == numeric:
            return str(name)
    pytest.skip(f"the data has no {kind} feature column")


def rejection(frame: pd.DataFrame, contract, params: Params) -> str:
    with pytest.raises(DataContractError) as caught:
        validate_frame(frame, contract, params.data.raw)
    return str(caught.value)


def test_repository_data_meets_its_contract(raw, contract, params):
    validate_frame(raw, contract, params.data.raw)


def test_missing_column_is_named(raw, contract, params):
    column = first_column(raw, "numeric", params.data.target)
    report = rejection(raw.drop(columns=[column]), contract, params)
    assert f"column '{column}': missing from the data" in report


def test_wrong_dtype_is_reported_with_row_count(raw, contract, params):
    column = first_column(raw, "numeric", params.data.target)
    bad = raw.astype({column: object})
    bad.loc[bad.index[:3], column] = "not a number"
    report = rejection(bad, contract, params)
    assert f"column '{column}'" in report and "fails on 3 rows" in report


def test_nan_in_target_is_rejected(raw, contract, params):
    bad = raw.copy()
    bad.loc[bad.index[0], params.data.target] = np.nan
    report = rejection(bad, contract, params)
    assert f"column '{params.data.target}': check not_nullable fails on 1 row" in report


def test_value_outside_declared_range_is_rejected(raw, contract, params):
    column = first_column(raw, "numeric", params.data.target)
    bad = raw.copy()
    bad.loc[bad.index[:2], column] = raw[column].max() * 10 + 1
    report = rejection(bad, contract, params)
    assert f"column '{column}': check in_range" in report and "fails on 2 rows" in report


def test_report_on_many_bad_rows_stays_short(raw, contract, params):
    """A large bad file gives counts and a few examples per check, not a row-by-row dump."""
    column = first_column(raw, "numeric", params.data.target)
    bad = raw.copy()
    bad[column] = raw[column].max() * 10 + np.arange(1, len(raw) + 1)
    report = rejection(bad, contract, params)
    line = next(line for line in report.splitlines() if f"column '{column}'" in line)
    assert f"fails on {len(raw)} rows" in line
    assert line.count(" at row ") == 3
    assert len(report.splitlines()) <= 3


def test_unknown_category_is_rejected(raw, contract, params):
    column = first_column(raw, "categorical", params.data.target)
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
