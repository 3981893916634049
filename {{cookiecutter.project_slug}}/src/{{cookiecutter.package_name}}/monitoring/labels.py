"""Late labels (a churn confirmed, a sale closed) joined with the inference log on the
prediction id. An id the log lacks is counted, not fatal (the log may have rotated, another
replica served it); ambiguous input (a repeated id, no label column) is an error."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import UserError
from ..core.inference_log import read_frame
from ..core.params import TASK

ID = "id"
LABEL = "label"


@dataclass(frozen=True)
class Joined:
    actual: pd.Series
    predicted: pd.Series
    features: pd.DataFrame  # the logged values of the columns asked for, row for row
    labels: int  # rows in the labels file
    logged: int  # predictions in the inference log
    unknown_ids: int  # labels whose id the log does not hold

    @property
    def rows(self) -> int:
        return len(self.actual)


def read_labels(source: str, target: str) -> pd.DataFrame:
    """The labels CSV as columns `id` and `label`, from a path or an http(s) URL."""
    if not source.startswith(("http://", "https://")) and not (source and Path(source).is_file()):
        found = f"{source} not found" if source else "no labels given"
        raise UserError(f"{found}: pass LABELS=<csv of id,label> (a path or URL)")
    try:
        frame = pd.read_csv(source, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise UserError(f"{source} could not be read as CSV: {error}") from error
    column = next((name for name in (LABEL, target) if name in frame.columns), None)
    if ID not in frame.columns or column is None:
        raise UserError(
            f"{source} needs the columns `{ID}` and `{LABEL}` (or `{target}`); "
            f"it has: {', '.join(map(str, frame.columns)) or 'none'}"
        )
    labels = frame[[ID, column]].rename(columns={column: LABEL})
    if (missing := labels.isna().any(axis=1)).any():
        first = int(missing.to_numpy().argmax()) + 2  # 1-based, after the header line
        raise UserError(
            f"{source}: {int(missing.sum())} rows lack an id or a label (first at line {first})"
        )
    refuse_repeated(labels[ID], source, "ids have more than one label", "keep one per id")
    return labels


def read_logged_predictions(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """The inference log's `id`, `prediction` and the features in `columns`: only these are
    kept, so memory grows with the number of predictions, not with the size of the log."""

    def prediction(number: int, entry: Any) -> dict[str, Any] | None:
        if not isinstance(entry, dict) or entry.get(ID) is None or "prediction" not in entry:
            return None
        features = entry.get("features") or {}
        logged = {ID: str(entry[ID]), "prediction": entry["prediction"]}
        return logged | {column: features.get(column) for column in columns}

    logged = read_frame(path, prediction)
    if logged.empty:
        raise UserError(
            f"{path} holds no predictions with an id: is it an inference log of a service "
            "that answers with prediction ids (serve.inference_log)?"
        )
    refuse_repeated(
        logged[ID], path, "prediction ids appear more than once", "was a log concatenated twice?"
    )
    return logged


def refuse_repeated(ids: pd.Series, source: object, what: str, hint: str) -> None:
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise UserError(f"{source}: {len(repeated)} {what} (e.g. {repeated[0]}); {hint}")


def as_targets(values: pd.Series, source: str) -> pd.Series:
    """Labels as the task compares them: numbers for regression, text for classification."""
    if TASK != "regression":
        return values.astype(str)
    numbers = pd.to_numeric(values, errors="coerce")
    if len(bad := values[numbers.isna()]):
        raise UserError(
            f"{source}: {len(bad)} labels are not numbers (e.g. {bad.iloc[0]!r}); "
            "a regression label is the target's value"
        )
    return numbers.astype(float)


def join_labels(
    log_path: Path, labels_source: str, target: str, columns: Sequence[str] = ()
) -> Joined:
    labels = read_labels(labels_source, target)
    kept = [column for column in columns if column not in (ID, LABEL, "prediction")]
    logged = read_logged_predictions(log_path, kept)
    joined = labels.merge(logged, on=ID, how="inner", validate="one_to_one")  # a new 0..n index
    return Joined(
        actual=as_targets(joined[LABEL], labels_source),
        predicted=joined["prediction"].astype(float if TASK == "regression" else str),
        features=joined[kept],
        labels=len(labels),
        logged=len(logged),
        unknown_ids=len(labels) - len(joined),
    )
