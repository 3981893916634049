"""Labels that arrive after the prediction, joined with the inference log on the prediction id.

The service answers every prediction with an `id` and the inference log records it. Whoever
learns the true outcome later (a churn confirmed, a sale closed) sends back a CSV with an
`id` column and a `label` column (or one named after the target); this module reads it from a
file or an http(s) URL and pairs each label with the logged prediction. Labels whose id the
log does not hold are counted, not fatal: the log may have rotated, or another replica served
them. Ambiguous input (a repeated id, no label column) is an error that says what to fix.
The logged values of the sensitive features come along, so each group can be scored too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..core.errors import UserError
from ..core.inference_log import read_entries
from ..core.params import TASK

ID = "id"
LABEL = "label"
URL_SCHEMES = ("http://", "https://")


@dataclass(frozen=True)
class Joined:
    """Logged predictions that have a label, and what did not join."""

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
    if not source:
        raise UserError("no labels given: pass LABELS=<csv of id,label> (a path or URL)")
    is_url = source.startswith(URL_SCHEMES)
    if not is_url and not Path(source).is_file():
        raise UserError(f"{source} not found: pass LABELS=<csv of id,label> (a path or URL)")
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
    missing = labels[ID].isna() | labels[LABEL].isna()
    if missing.any():
        first = int(missing.to_numpy().argmax()) + 2  # 1-based, after the header line
        raise UserError(
            f"{source}: {int(missing.sum())} rows lack an id or a label (first at line {first})"
        )
    refuse_repeated(labels[ID], source, "ids have more than one label", "keep one per id")
    return labels


def read_logged_predictions(path: Path, columns: Sequence[str] = ()) -> pd.DataFrame:
    """The inference log's `id`, `prediction` and the features in `columns`, read a line at
    a time: only these fields are kept, so memory grows with the number of predictions, not
    with the size of the log (each line holds every feature of the served record)."""
    ids: list[str] = []
    predictions: list[object] = []
    features: dict[str, list[object]] = {column: [] for column in columns}
    for _, entry in read_entries(path):
        if isinstance(entry, dict) and entry.get(ID) is not None and "prediction" in entry:
            ids.append(str(entry[ID]))
            predictions.append(entry["prediction"])
            logged_features = entry.get("features") or {}
            for column, values in features.items():
                values.append(logged_features.get(column))
    if not ids:
        raise UserError(
            f"{path} holds no predictions with an id: is it an inference log of a service "
            "that answers with prediction ids (serve.inference_log)?"
        )
    logged = pd.DataFrame({ID: ids, "prediction": predictions, **features})
    refuse_repeated(
        logged[ID], path, "prediction ids appear more than once", "was a log concatenated twice?"
    )
    return logged


def refuse_repeated(ids: pd.Series, source: object, what: str, hint: str) -> None:
    """A UserError naming how many ids repeat, one of them, and the likely cause."""
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise UserError(f"{source}: {len(repeated)} {what} (e.g. {repeated[0]}); {hint}")


def as_targets(values: pd.Series, source: str) -> pd.Series:
    """Labels as the task compares them: numbers for regression, text for classification."""
    if TASK == "regression":
        numbers = pd.to_numeric(values, errors="coerce")
        bad = values[numbers.isna()]
        if len(bad):
            raise UserError(
                f"{source}: {len(bad)} labels are not numbers (e.g. {bad.iloc[0]!r}); "
                "a regression label is the target's value"
            )
        return numbers.astype(float)
    return values.astype(str)


def join_labels(
    log_path: Path, labels_source: str, target: str, columns: Sequence[str] = ()
) -> Joined:
    """Pair each label with its logged prediction, on the prediction id, and with the
    logged values of `columns`."""
    labels = read_labels(labels_source, target)
    kept = [column for column in columns if column not in (ID, LABEL, "prediction")]
    logged = read_logged_predictions(log_path, kept)
    joined = labels.merge(logged, on=ID, how="inner", validate="one_to_one")
    predicted = joined["prediction"].astype(float if TASK == "regression" else str)
    return Joined(
        actual=as_targets(joined[LABEL], labels_source).reset_index(drop=True),
        predicted=predicted.reset_index(drop=True),
        features=joined[kept].reset_index(drop=True),
        labels=len(labels),
        logged=len(logged),
        unknown_ids=len(labels) - len(joined),
    )
