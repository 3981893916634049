"""The data contract (data/schema.yaml), read through pandera, and its columns as plain
`ColumnSpec`s. The image has no pandera: `make bento` writes them as JSON for the service."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UserError
from .paths import SERVING_COLUMNS

if TYPE_CHECKING:
    import pandera.pandas as pa

# pandera's range checks: only in_range says whether its bounds are inclusive, the rest by name.
RANGE_CHECKS = {"greater_than_or_equal_to", "greater_than", "less_than_or_equal_to", "less_than"}
# A text field's limit unless `str_length` sets one: above any category, yet no request can
# carry megabytes in one field, nor a warning echo them.
DEFAULT_MAX_TEXT_LENGTH = 1000
KINDS = {kind.__name__: kind for kind in (int, float, bool, str)}


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

    def span(self, width: float) -> tuple[float, float]:
        """Its low and high bounds, inclusive or not; an open low is 0, an open high low + width."""
        low = self.bounds.get("ge", self.bounds.get("gt", 0.0))
        return low, self.bounds.get("le", self.bounds.get("lt", low + width))


def load_contract(path: Path) -> pa.DataFrameSchema:
    import pandera.pandas as pa

    if not path.exists():
        raise UserError(f"{path} not found: run `make schema` to infer the data contract")
    try:
        return pa.DataFrameSchema.from_yaml(path)
    except Exception as error:
        raise UserError(f"{path} is not a valid pandera schema: {error}") from error


def _spec(name: str, column: Any) -> ColumnSpec:
    dtype = str(column.dtype).lower().removeprefix("u")  # uint is int
    kind = next((KINDS[k] for k in ("bool", "int", "float") if dtype.startswith(k)), str)
    bounds: dict[str, float] = {}
    categories, max_length = None, DEFAULT_MAX_TEXT_LENGTH
    for check in column.checks:
        stats = check.statistics or {}
        if check.name in RANGE_CHECKS or check.name == "in_range":
            if stats.get("min_value") is not None:
                inclusive = stats.get("include_min", check.name != "greater_than")
                bounds["ge" if inclusive else "gt"] = float(stats["min_value"])
            if stats.get("max_value") is not None:
                inclusive = stats.get("include_max", check.name != "less_than")
                bounds["le" if inclusive else "lt"] = float(stats["max_value"])
        elif check.name == "isin":
            categories = frozenset(stats["allowed_values"])
        elif check.name == "str_length" and stats.get("max_value") is not None:
            max_length = int(stats["max_value"])
    return ColumnSpec(
        name=str(name),
        kind=kind,
        nullable=bool(column.nullable),
        bounds=bounds if kind in (int, float) else {},
        categories=categories,
        max_length=max_length if kind is str else None,
    )


def read_columns(path: Path, target: str) -> tuple[list[ColumnSpec], ColumnSpec]:
    columns = load_contract(path).columns
    if target not in columns:
        raise UserError(f"{path} has no column '{target}' (data.target in params.yaml)")
    specs = {str(name): _spec(name, column) for name, column in columns.items()}
    target_spec = specs.pop(target)
    return list(specs.values()), target_spec


def as_plain(spec: ColumnSpec) -> dict[str, Any]:
    categories = None if spec.categories is None else sorted(spec.categories, key=str)
    return asdict(spec) | {"kind": spec.kind.__name__, "categories": categories}


def from_plain(fields: dict[str, Any]) -> ColumnSpec:
    categories = None if fields["categories"] is None else frozenset(fields["categories"])
    return ColumnSpec(**fields | {"kind": KINDS[fields["kind"]], "categories": categories})


def write_serving_columns(path: Path, target: str, output: Path = SERVING_COLUMNS) -> Path:
    features, target_spec = read_columns(path, target)
    document = {
        "schema_md5": hashlib.md5(path.read_bytes()).hexdigest(),
        "features": [as_plain(spec) for spec in features],
        "target": as_plain(target_spec),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(document, indent=2) + "\n")
    return output


def serving_columns(path: Path, target: str) -> tuple[list[ColumnSpec], ColumnSpec]:
    """The columns `make bento` wrote for this very schema, else (no bento) the contract's."""
    if SERVING_COLUMNS.exists():
        document = json.loads(SERVING_COLUMNS.read_text())
        if document.get("schema_md5") == hashlib.md5(path.read_bytes()).hexdigest():
            return [from_plain(f) for f in document["features"]], from_plain(document["target"])
    return read_columns(path, target)
