"""The prepare stage: split the labelled rows reproducibly into train and test."""

from __future__ import annotations

from argparse import Namespace

import numpy as np
import pandas as pd

from ..core.errors import UserError
from ..core.params import TASK, load_params
from ..core.paths import PREPARED_DIR, TEST_SPLIT, TRAIN_SPLIT
from ..core.tables import labelled_rows, unlabelled_note


def split_indices(labels: pd.Series, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Shuffle-split row positions, stratified by class for classification. Plain numpy, not
    sklearn's train_test_split: importing sklearn would cost this stage seconds of start-up."""
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


def prepare_command(args: Namespace) -> str:
    data = load_params().data
    frame, unlabelled = labelled_rows(data.raw, data.target)  # iloc: positions, not labels
    train, test = split_indices(frame[data.target], data.test_size, data.seed)
    if len(train) == 0 or len(test) == 0:
        raise UserError(f"{data.raw} has too few rows ({len(frame)}) to split")
    PREPARED_DIR.mkdir(parents=True, exist_ok=True)
    frame.iloc[train].to_parquet(TRAIN_SPLIT, index=False)
    frame.iloc[test].to_parquet(TEST_SPLIT, index=False)
    note = unlabelled_note(unlabelled, data.target)
    return f"split into {len(train)} training and {len(test)} test rows{note}"
