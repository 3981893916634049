"""Markdown reports of the review, drift and performance checks, formatted alike and shown in
GitHub's job summary; and the JSON files the pipeline writes, read one way."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import UserError

ICONS = {
    "regressed": "❌ regressed",
    "improved": "✅ improved",
    "unchanged": "✅ unchanged",
    "within tolerance": "✅ within tolerance",
    "new": "🆕 new",
    "removed": "⚠️ removed",
    "not gated": "⚪ not gated",
    "too small to gate": "⚪ too small to gate",
    "beyond limit": "❌ beyond limit",  # a fairness measure's ceiling or floor
    "missing": "⚪ measured on neither side",
}


def number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


def table(header: list[str], rows: Iterable[Iterable[object]], align: str = "") -> str:
    """A Markdown table; `align` has an `r` per right-aligned (numeric) column, from the left.
    Cells are written as given: escape a `|` in one before."""
    rule = "|" + "|".join("---:" if a == "r" else "---" for a in align.ljust(len(header))) + "|"
    lines = ["| " + " | ".join(map(str, row)) + " |" for row in (header, *rows)]
    return "\n".join([lines[0], rule, *lines[1:]])


def publish(markdown: str, output: Path) -> Path:
    """Write the report file, and the job summary when running in GitHub Actions."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a") as handle:
            handle.write(markdown)
    return output


def parse_json(text: str, source: object) -> Any:
    """JSON the pipeline wrote: a broken file names the fix rather than a traceback."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UserError(f"{source} is not valid JSON ({error}); rerun `make pipeline`") from None


def read_json(path: Path, missing: Any = None) -> Any:
    """The file's JSON; a missing file is `missing` when given, else an error naming the fix."""
    if path.is_file():
        return parse_json(path.read_text(), path)
    if missing is None:
        raise UserError(f"{path} not found: run `make pipeline` first")
    return missing
