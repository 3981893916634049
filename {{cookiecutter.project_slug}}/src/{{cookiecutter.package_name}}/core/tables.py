"""Reading a CSV or Parquet table, refused up front when it cannot fit in memory (a CSV needs
about 6 times its size): one line naming the fix, not a MemoryError or a kill minutes later."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd

from .errors import UserError

NEED_PER_CSV_BYTE = 6
MB = 1024 * 1024
OVERRIDE = "AVAILABLE_MEMORY_MB"  # set it to plan for a smaller machine (CI runner, container)


def available_mb() -> float | None:
    if OVERRIDE in os.environ:
        try:
            return float(os.environ[OVERRIDE])
        except ValueError:
            raise UserError(f"{OVERRIDE} must be a number of megabytes") from None
    with contextlib.suppress(OSError):  # MemAvailable counts reclaimable page cache too
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 1024
    return None


def megabytes(value: float) -> str:
    return f"{value:,.0f} MB" if value >= 10 else f"{value:.2g} MB"


def too_large(path: Path, size_mb: float, free_mb: float) -> UserError:
    return UserError(
        f"{path} is {megabytes(size_mb)}; reading it needs about "
        f"{megabytes(size_mb * NEED_PER_CSV_BYTE)} of memory and {megabytes(free_mb)} is "
        "available: run the pipeline on a machine with more memory, or train on a sample of "
        "the rows (keep the full table out of data/raw)"
    )


def read_table(path: Path, target: str | None = None) -> pd.DataFrame:
    if not path.exists():
        raise UserError(f"{path} not found: run `make pull-data`, or copy your CSV there")
    size_mb = path.stat().st_size / MB
    if path.suffix != ".parquet":  # the splits are smaller than the CSV they come from
        free_mb = available_mb()
        if free_mb is not None and size_mb * NEED_PER_CSV_BYTE > free_mb:
            raise too_large(path, size_mb, free_mb)
    try:
        frame = pd.read_parquet(path) if path.suffix == ".parquet" else pd.read_csv(path)
    except MemoryError:
        raise too_large(path, size_mb, available_mb() or 0.0) from None
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
    """The rows with a target value, and how many lack one: every stage drops those alike."""
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
    rows, verb = ("row lacks", "is") if count == 1 else ("rows lack", "are")
    return f"; {count} {rows} a '{target}' value and {verb} left out"


def split_features(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, pd.Series]:
    return frame.drop(columns=[target]), frame[target]
