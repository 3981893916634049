"""The data contract: `make schema` infers data/schema.yaml for a human to tighten; the validate
stage stops the pipeline on data that breaks it, naming column, check and failing rows."""

from __future__ import annotations

import json
from argparse import Namespace
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.contract import load_contract
from ..core.errors import UserError
from ..core.params import load_params
from ..core.paths import VALIDATION_REPORT
from ..core.tables import labelled_rows, unlabelled_note

if TYPE_CHECKING:
    import pandera.pandas as pa


MAX_CATEGORIES = 50
MAX_EXAMPLES = 3  # failing values shown per check; the count covers them all
SCHEMA_CHECKS = {
    "column_in_dataframe": "missing from the data",
    "column_in_schema": "not in the contract (run `make schema` if the column is new on purpose)",
}


def infer_contract(frame: pd.DataFrame, target: str) -> pa.DataFrameSchema:
    """Every column's dtype, nullability (never the target's) and observed range, or its
    categories when there are at most MAX_CATEGORIES."""
    import pandera.pandas as pa

    columns = {}
    for name, values in frame.items():
        present = values.dropna()
        nullable = bool(values.isna().any()) and name != target
        checks = []
        if pd.api.types.is_bool_dtype(values):
            dtype = "bool"
        elif pd.api.types.is_numeric_dtype(values):
            dtype = str(values.dtype)
            if len(present):
                checks.append(pa.Check.in_range(float(present.min()), float(present.max())))
        else:
            dtype = "str"
            categories = sorted(present.astype(str).unique().tolist())
            if 0 < len(categories) <= MAX_CATEGORIES:
                checks.append(pa.Check.isin(categories))
        columns[str(name)] = pa.Column(dtype, nullable=nullable, checks=checks)
    return pa.DataFrameSchema(columns, coerce=True, strict=True, name="raw data contract")


def describe_failures(failures: pd.DataFrame) -> list[str]:
    """One line per (column, check) with a few examples: a million bad rows stay a few lines."""
    schema_level = (failures["schema_context"] == "DataFrameSchema").to_numpy()
    lines = [
        f"column '{row.failure_case}': {SCHEMA_CHECKS.get(row.check, row.check)}"
        for row in failures[schema_level].itertuples()
    ]
    per_row = failures[~schema_level & failures["index"].notna()]
    # A value that cannot be coerced also fails the dtype check: report it once.
    coerced = set(per_row.loc[per_row["check"].str.startswith("coerce_dtype"), "column"])
    twice = per_row["column"].isin(coerced) & per_row["check"].str.startswith("dtype(")
    per_row = per_row[~twice]
    for (column, check), group in per_row.groupby(["column", "check"], sort=False):
        rows = group["index"].nunique()
        firsts = group.drop_duplicates("failure_case").head(MAX_EXAMPLES)
        pairs = zip(firsts["failure_case"], firsts["index"], strict=True)
        examples = ", ".join(f"{case!r} at row {row}" for case, row in pairs)
        lines.append(
            f"column '{column}': check {check} fails on {rows} row{'s' if rows != 1 else ''}"
            f" (e.g. {examples})"
        )
    return lines


def validate_frame(frame: pd.DataFrame, schema: pa.DataFrameSchema, source: Path) -> None:
    import pandera.pandas as pa

    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as error:
        lines = describe_failures(error.failure_cases)
        report = "\n".join(f"  - {line}" for line in lines)
        raise UserError(
            f"{source} breaks the data contract ({len(lines)} problem"
            f"{'s' if len(lines) != 1 else ''}); nothing downstream was run:\n{report}"
        ) from error


def schema_command(args: Namespace) -> str:
    data = load_params().data
    frame, unlabelled = labelled_rows(data.raw, data.target)
    header = (
        f"# Data contract for {data.raw}, inferred by `make schema`.\n"
        "# Review it: tighten ranges and categories to what the model may see.\n"
    )
    data.schema_file.parent.mkdir(parents=True, exist_ok=True)
    data.schema_file.write_text(header + infer_contract(frame, data.target).to_yaml())
    note = unlabelled_note(unlabelled, data.target)
    return f"wrote the data contract to {data.schema_file}; review and tighten it{note}"


def validate_command(args: Namespace) -> str:
    data = load_params().data
    frame, unlabelled = labelled_rows(data.raw, data.target)
    validate_frame(frame, load_contract(data.schema_file), data.raw)
    report = {
        "source": str(data.raw),
        "rows": len(frame),
        "unlabelled_rows": unlabelled,
        "columns": list(frame.columns),
    }
    VALIDATION_REPORT.parent.mkdir(parents=True, exist_ok=True)
    VALIDATION_REPORT.write_text(json.dumps(report, indent=2) + "\n")
    note = unlabelled_note(unlabelled, data.target)
    return f"{data.raw}: {len(frame)} rows match the data contract{note}"
