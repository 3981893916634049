"""The prepare stage: split the labelled rows reproducibly into train and test."""

from __future__ import annotations

from argparse import Namespace

import numpy as np
import pandas as pd

from ..core.errors import UserError
from ..core.params import TASK, Params, load_params
from ..core.paths import PREPARED_DIR, TEST_SPLIT, TRAIN_SPLIT
from ..core.tables import labelled_rows, unlabelled_note


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


def prepare_command(args: Namespace) -> str:
    params = load_params()
    train_rows, test_rows, unlabelled = prepare(params)
    note = unlabelled_note(unlabelled, params.data.target)
    return f"split into {train_rows} training and {test_rows} test rows{note}"
