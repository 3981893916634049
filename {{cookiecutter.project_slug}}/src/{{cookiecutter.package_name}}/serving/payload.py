"""The service's request model, generated from the data contract (core/contract.py): a bad
record is a 400 naming the field. An unknown category is accepted with a warning (the model's
OneHotEncoder ignores it): refusing it would break every client the day a new value appears."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Annotated, Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, create_model

from ..core.contract import ColumnSpec

# Strict: a number must be a JSON number and text a JSON string; no NaN or Infinity.
RECORD_CONFIG = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)
# An integer column is int64 in the model's DataFrame: a larger JSON integer is refused with a
# 400 naming the field instead of overflowing into a 500, unless the contract bounds it tighter.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def record_model(columns: Sequence[ColumnSpec]) -> type[BaseModel]:
    """Fields named by position with the column as alias, so any column name works (spaces,
    keywords, `model_config`); errors and the OpenAPI schema show the column."""
    fields: dict[str, Any] = {}
    for index, column in enumerate(columns):
        bounds: dict[str, Any] = dict(column.bounds)
        if column.kind is int:  # each side defaults to, and never goes beyond, int64's limit
            low, high = ("gt" if "gt" in bounds else "ge"), ("lt" if "lt" in bounds else "le")
            bounds[low] = max(bounds.get(low, INT64_MIN), INT64_MIN)
            bounds[high] = min(bounds.get(high, INT64_MAX), INT64_MAX)
            bounds = {k: int(v) if float(v).is_integer() else v for k, v in bounds.items()}
        if column.max_length is not None:
            bounds["max_length"] = column.max_length
        kind: Any = Annotated[column.kind, Field(**bounds)]
        description = "nullable" if column.nullable else "required"
        if column.categories is not None:
            known = ", ".join(sorted(map(str, column.categories)))
            description += f"; known values: {known} (others are accepted with a warning)"
        default = None if column.nullable else ...  # a nullable field may be omitted
        field = Field(default, alias=column.name, description=description)
        fields[f"field_{index}"] = (kind | None if column.nullable else kind, field)
    return create_model("Record", __config__=RECORD_CONFIG, **fields)


def request_model(record: type[BaseModel], max_records: int) -> type[BaseModel]:
    records: Any = Annotated[list[record], Field(min_length=1, max_length=max_records)]  # type: ignore[valid-type]
    return create_model(
        "PredictRequest", __config__=ConfigDict(extra="forbid"), records=(records, ...)
    )


class Prediction(BaseModel):
    """One record's prediction, its id (labels join on it later), and why to trust it less."""

    id: str
    prediction: str | bool | int | float
    warnings: list[str] = Field(default_factory=list)


def prediction_ids(count: int) -> list[str]:
    """`<uuid4 hex>-<index>`: one uuid per batch is cheap, and unique across workers and
    restarts, so the inference log can key labels on them."""
    prefix = f"{uuid.uuid4().hex}-"
    return [f"{prefix}{index}" for index in range(count)]


def column_values(records: Sequence[BaseModel], index: int) -> list[Any]:
    """A column's values, read by the field name record_model gives it (its position)."""
    return [record.__dict__[f"field_{index}"] for record in records]


def to_frame(records: Sequence[BaseModel], columns: Sequence[ColumnSpec]) -> pd.DataFrame:
    """The records as pandas read the training data: same columns and dtypes, missing as NaN."""
    data: dict[str, Any] = {}
    for index, column in enumerate(columns):
        values = column_values(records, index)
        if column.kind is float or (column.kind is int and column.nullable):
            data[column.name] = np.array(values, dtype="float64")  # None becomes NaN
        elif column.kind in (int, bool) and not column.nullable:
            data[column.name] = np.array(values, dtype="int64" if column.kind is int else bool)
        else:
            data[column.name] = np.array([np.nan if v is None else v for v in values], dtype=object)
    return pd.DataFrame(data, copy=False)


def unknown_categories(
    records: Sequence[BaseModel], columns: Sequence[ColumnSpec]
) -> dict[int, dict[str, str]]:
    """Per record index, per column, a warning for a category the contract does not know; one
    set difference per column and batch, so known values cost no per-record work."""
    warnings: dict[int, dict[str, str]] = {}
    for index, column in enumerate(columns):
        if not column.categorical or column.categories is None:
            continue
        values = column_values(records, index)
        if not (unknown := set(values).difference(column.categories, [None])):
            continue
        known = ", ".join(sorted(map(str, column.categories)))
        for position, value in enumerate(values):
            if value in unknown:
                message = f"{value!r} is not a known category ({known}); the model ignores it"
                warnings.setdefault(position, {})[column.name] = f"{column.name}: {message}"
    return warnings


def example_record(columns: Sequence[ColumnSpec]) -> dict[str, Any]:
    """A valid record built from the contract alone, for smoke tests."""
    record: dict[str, Any] = {}
    for column in columns:
        if column.categories:
            record[column.name] = sorted(column.categories, key=str)[0]
        elif column.kind is bool:
            record[column.name] = False
        elif column.kind is str:
            record[column.name] = "example"
        else:
            middle = sum(column.span(2)) / 2
            record[column.name] = round(middle) if column.kind is int else middle
    return record
