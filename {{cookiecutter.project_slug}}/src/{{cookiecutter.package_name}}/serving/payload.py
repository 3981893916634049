"""The service's request model, generated from the data contract (data/schema.yaml).

One contract holds training data and requests to the same columns, types, ranges and
nullability, so a bad request is refused with HTTP 400 naming the field, before it can reach
the model. Categories are the exception: an unknown one is accepted and reported as a
warning, because the model's OneHotEncoder ignores categories it never saw (handle_unknown=
"ignore"), and refusing them would break every client the day a new value appears upstream.

The contract is read with plain YAML (pipeline/columns.py), so the bento needs no pandera.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model

from ..pipeline.columns import ColumnSpec

# Strict: a number must be a JSON number and text a JSON string; no NaN or Infinity.
RECORD_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)


def record_model(columns: Sequence[ColumnSpec]) -> type[BaseModel]:
    """A pydantic model of one record: every feature column, by its contract name.

    Fields get positional names and the column as alias, so any column name works (spaces,
    keywords, `model_config`); errors and the OpenAPI schema show the column name.
    """
    fields: dict[str, Any] = {}
    for index, column in enumerate(columns):
        bounds = {
            name: int(value) if column.kind is int and value.is_integer() else value
            for name, value in column.bounds.items()
        }
        kind: Any = Annotated[column.kind, Field(**bounds)]
        description = "nullable" if column.nullable else "required"
        if column.categories is not None:
            known = ", ".join(sorted(map(str, column.categories)))
            description += f"; known values: {known} (others are accepted with a warning)"
        if column.nullable:
            field = Field(default=None, alias=column.name, description=description)
            fields[f"field_{index}"] = (kind | None, field)
        else:
            fields[f"field_{index}"] = (kind, Field(alias=column.name, description=description))
    return create_model("Record", __config__=RECORD_CONFIG, **fields)


def request_model(record: type[BaseModel], max_records: int) -> type[BaseModel]:
    """The request body: `{"records": [...]}` with 1 to `max_records` records, nothing else."""
    records: Any = Annotated[list[record], Field(min_length=1, max_length=max_records)]  # type: ignore[valid-type]
    return create_model(
        "PredictRequest", __config__=ConfigDict(extra="forbid"), records=(records, ...)
    )


class Prediction(BaseModel):
    """One record's prediction, and why it may deserve less trust."""

    prediction: str | bool | int | float
    warnings: list[str] = Field(default_factory=list)


def to_frame(records: Sequence[BaseModel], columns: Sequence[ColumnSpec]) -> pd.DataFrame:
    """The records as the DataFrame the model was trained on: same columns, same dtypes.

    Missing values become NaN, as pandas reads them from the training data, so the model's
    imputers treat them exactly as in training.
    """
    data: dict[str, Any] = {}
    for index, column in enumerate(columns):
        values = [record.__dict__[f"field_{index}"] for record in records]
        if column.kind is float or (column.kind is int and column.nullable):
            data[column.name] = np.array(
                [np.nan if value is None else value for value in values], dtype="float64"
            )
        elif column.kind is int:
            data[column.name] = np.array(values, dtype="int64")
        elif column.kind is bool and not column.nullable:
            data[column.name] = np.array(values, dtype=bool)
        else:
            data[column.name] = np.array(
                [np.nan if value is None else value for value in values], dtype=object
            )
    return pd.DataFrame(data)


def as_features(record: BaseModel, columns: Sequence[ColumnSpec]) -> dict[str, Any]:
    """The record by column name, as the inference log stores it."""
    return {column.name: record.__dict__[f"field_{index}"] for index, column in enumerate(columns)}


def unknown_categories(record: BaseModel, columns: Sequence[ColumnSpec]) -> dict[str, str]:
    """Per column, a warning for a value the contract does not know, in a column the model
    one-hot encodes: the model ignores such a value, so the prediction rests on the others."""
    warnings = {}
    for index, column in enumerate(columns):
        value = record.__dict__[f"field_{index}"]
        if not column.categorical or column.categories is None or value is None:
            continue
        if value not in column.categories:
            known = ", ".join(sorted(map(str, column.categories)))
            warnings[column.name] = (
                f"{column.name}: {value!r} is not a known category ({known}); the model ignores it"
            )
    return warnings


def example_record(columns: Sequence[ColumnSpec]) -> dict[str, Any]:
    """A valid record built from the contract alone: for smoke tests and the API docs."""
    record: dict[str, Any] = {}
    for column in columns:
        if column.categories:
            record[column.name] = sorted(column.categories, key=str)[0]
        elif column.kind is bool:
            record[column.name] = False
        elif column.kind is str:
            record[column.name] = "example"
        else:
            low = column.bounds.get("ge", column.bounds.get("gt", 0.0))
            high = column.bounds.get("le", column.bounds.get("lt", low + 2))
            middle = (low + high) / 2
            record[column.name] = round(middle) if column.kind is int else middle
    return record
