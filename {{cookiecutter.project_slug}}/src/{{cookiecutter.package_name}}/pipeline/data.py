"""Read the raw table with clear errors, and split it reproducibly into train and test."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..commands import Context

from pathlib import Path

import numpy as np
import pandas as pd

from ..config import PREPARED_DIR, TASK, TEST_SPLIT, TRAIN_SPLIT, Params
from ..errors import UserError
from .memory import check_fits, memory_guard


def read_table(path: Path, target: str | None = None) -> pd.DataFrame:
    """Read a CSV or Parquet table; name the file and the fix when it cannot be used, or
    when it is too large for the memory available."""
    if not path.exists():
        raise UserError(f"{path} not found: run `make pull-data`, or copy your CSV there")
    if path.suffix != ".parquet":  # the splits are smaller than the CSV they come from
        check_fits(path)
    try:
        with memory_guard(path):
            frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except pd.errors.EmptyDataError as error:
        raise UserError(
            f"{path} is empty: it needs a header row and at least one data row"
        ) from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise UserError(f"{path} is not a readable CSV: {error}") from error
    if frame.empty:
        raise UserError(f"{path} has a header but no data rows")
    if target is not None and target not in frame.columns:
        raise UserError(
            f"target column '{target}' is not in {path}; its columns are: "
            f"{', '.join(map(str, frame.columns))}. Set data.target in params.yaml."
        )
    return frame


def labelled_rows(path: Path, target: str) -> tuple[pd.DataFrame, int]:
    """The table's rows that have a target value, and how many lack one.

    Real tables often miss a few labels; those rows cannot train or score a model, so every
    stage drops them the same way, and says how many, instead of failing the contract.
    """
    frame = read_table(path, target)
    missing = frame[target].isna()
    if missing.all():
        raise UserError(
            f"every row of {path} lacks a value in the target column '{target}': "
            "fill it in, or set data.target in params.yaml to the column to predict"
        )
    return frame[~missing], int(missing.sum())


def unlabelled_note(count: int, target: str) -> str:
    if not count:
        return ""
    rows = "row lacks" if count == 1 else "rows lack"
    return f"; {count} {rows} a '{target}' value and {'is' if count == 1 else 'are'} left out"


def split_features(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[target]), frame[target]


def split_indices(labels: pd.Series, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle-split row positions; for classification, stratified by class.

    Plain numpy instead of sklearn's train_test_split keeps this stage's start-up under a
    second: importing sklearn costs several.
    """
    rng = np.random.default_rng(seed)
    groups = labels.astype(str).to_numpy() if TASK == "classification" else np.zeros(len(labels))
    train, test = [], []
    for group in pd.unique(groups):
        members = rng.permutation(np.flatnonzero(groups == group))
        n_test = round(len(members) * test_size)
        if len(members) > 1:
            n_test = min(max(n_test, 1), len(members) - 1)
        test.append(members[:n_test])
        train.append(members[n_test:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


def prepare(params: Params) -> tuple[int, int, int]:
    """The prepare stage: write the train and test splits as Parquet; rows without a target
    are left out (their count is the third number)."""
    labelled, unlabelled = labelled_rows(params.data.raw, params.data.target)
    frame = labelled.reset_index(drop=True)
    train, test = split_indices(frame[params.data.target], params.data.test_size, params.data.seed)
    if len(train) == 0 or len(test) == 0:
        raise UserError(f"{params.data.raw} has too few rows ({len(frame)}) to split")
    PREPARED_DIR.mkdir(parents=True, exist_ok=True)
    frame.iloc[train].to_parquet(TRAIN_SPLIT, index=False)
    frame.iloc[test].to_parquet(TEST_SPLIT, index=False)
    return len(train), len(test), unlabelled


def prepare_command(context: Context) -> str:
    train_rows, test_rows, unlabelled = prepare(context.params)
    note = unlabelled_note(unlabelled, context.params.data.target)
    return f"split into {train_rows} training and {test_rows} test rows{note}"
