"""Own data without friction: rows without a target are left out, counted, never a failure."""

from __future__ import annotations

import pandas as pd
import pytest

from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.core.tables import (
    labelled_rows,
    megabytes,
    read_table,
    unlabelled_note,
)
from {{ cookiecutter.package_name }}.pipeline.contract import (
    infer_contract,
    validate_frame,
)


def test_rows_without_a_target_are_dropped_and_counted(raw, params, tmp_path):
    target = params.data.target
    holed = raw.head(50).copy()
    holed.loc[[3, 17], target] = None
    path = tmp_path / "data.csv"
    holed.to_csv(path, index=False)

    labelled, unlabelled = labelled_rows(path, target)

    assert (len(labelled), unlabelled) == (len(holed) - 2, 2)
    assert labelled[target].notna().all()
    note = unlabelled_note(unlabelled, target)
    assert note == f"; 2 rows lack a '{target}' value and are left out"
    # The contract inferred from the file still holds everything else of it.
    validate_frame(labelled, infer_contract(labelled, target), path)


def test_a_file_without_any_target_value_names_the_fix(raw, params, tmp_path):
    target = params.data.target
    blank = raw.head(10).assign(**{target: None})
    path = tmp_path / "data.csv"
    blank.to_csv(path, index=False)
    expected = f"every row of .* lacks a value in the target column '{target}'"
    with pytest.raises(UserError, match=expected):
        labelled_rows(path, target)


def test_a_csv_too_large_for_memory_fails_naming_its_size(raw, tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    raw.to_csv(path, index=False)
    size_mb = path.stat().st_size / 2**20
    monkeypatch.setenv("AVAILABLE_MEMORY_MB", str(size_mb))  # less than the ~6x a read needs
    with pytest.raises(UserError) as refused:
        read_table(path)
    message = str(refused.value)
    assert f"{path} is {megabytes(size_mb)}; reading it needs about" in message
    assert "more memory" in message and "\n" not in message
    monkeypatch.setenv("AVAILABLE_MEMORY_MB", str(size_mb * 10))
    assert len(read_table(path)) == len(raw)


def test_running_out_of_memory_while_reading_is_one_line(raw, tmp_path, monkeypatch):
    path = tmp_path / "data.csv"
    raw.head(5).to_csv(path, index=False)

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(pd, "read_csv", exhausted)
    with pytest.raises(UserError) as refused:
        read_table(path)
    assert str(path) in str(refused.value) and "more memory" in str(refused.value)
