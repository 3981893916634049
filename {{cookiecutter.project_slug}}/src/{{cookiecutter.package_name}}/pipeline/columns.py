"""The contract's columns as plain data: name, kind, nullability, bounds, known categories.

Read with plain YAML, not pandera, so the service (its request model), the smoke test and
drift detection learn column types from data/schema.yaml without pandera or the user's code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import UserError

BOUNDS = {
    "greater_than_or_equal_to": "ge",
    "less_than_or_equal_to": "le",
    "greater_than": "gt",
    "less_than": "lt",
}
# A text field's length when the contract sets none (pandera `str_length: {max_value: N}`
# tightens it): far above any category, low enough that a request cannot carry megabytes in
# one field, nor a warning echo them.
DEFAULT_MAX_TEXT_LENGTH = 1000


@dataclass(frozen=True)
class ColumnSpec:
    """What the contract allows in one column; other pandera checks are not enforced here."""

    name: str
    kind: type  # int, float, bool or str
    nullable: bool
    bounds: dict[str, float]
    categories: frozenset[Any] | None  # known values of a text or bool column
    max_length: int | None = None  # the longest value of a text column

    @property
    def categorical(self) -> bool:
        """Text and bool columns: one-hot encoded by the sample features, unknown values warned."""
        return self.kind in (str, bool)


def _kind(dtype: str) -> type:
    dtype = dtype.lower()
    if dtype.startswith("bool"):
        return bool
    if dtype.startswith(("int", "uint")):
        return int
    if dtype.startswith("float"):
        return float
    return str


def _bounds(checks: dict[str, Any]) -> dict[str, float]:
    bounds = {BOUNDS[name]: float(value) for name, value in checks.items() if name in BOUNDS}
    in_range = checks.get("in_range")
    if isinstance(in_range, dict):
        low, high = in_range.get("min_value"), in_range.get("max_value")
        if low is not None:
            bounds["ge" if in_range.get("include_min", True) else "gt"] = float(low)
        if high is not None:
            bounds["le" if in_range.get("include_max", True) else "lt"] = float(high)
    return bounds


def _allowed(checks: dict[str, Any]) -> frozenset[Any] | None:
    values = checks.get("isin")
    if isinstance(values, dict):  # older pandera writes {allowed_values: [...]}
        values = values.get("allowed_values")
    return frozenset(values) if isinstance(values, list) else None


def _max_length(checks: dict[str, Any]) -> int:
    length = checks.get("str_length")
    if isinstance(length, dict) and length.get("max_value") is not None:
        return int(length["max_value"])
    return DEFAULT_MAX_TEXT_LENGTH


def read_contract(path: Path, target: str) -> tuple[list[ColumnSpec], ColumnSpec]:
    """The feature columns and the target column of the contract at `path`."""
    if not path.exists():
        raise UserError(f"{path} not found: run `make schema` to infer the data contract")
    try:
        columns = (yaml.safe_load(path.read_text()) or {}).get("columns")
    except yaml.YAMLError as error:
        raise UserError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(columns, dict) or target not in columns:
        raise UserError(f"{path} has no column '{target}' (data.target in params.yaml)")
    specs = []
    for name, spec in columns.items():
        spec = spec or {}
        checks = {**spec, **(spec.get("checks") or {})}
        kind = _kind(str(spec.get("dtype", "str")))
        specs.append(
            ColumnSpec(
                name=str(name),
                kind=kind,
                nullable=bool(spec.get("nullable", False)),
                bounds=_bounds(checks) if kind in (int, float) else {},
                categories=_allowed(checks),
                max_length=_max_length(checks) if kind is str else None,
            )
        )
    features = [spec for spec in specs if spec.name != target]
    return features, next(spec for spec in specs if spec.name == target)
