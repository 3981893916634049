"""Markdown reports of the review, drift and performance checks: written once, shown in
GitHub's job summary, numbers and statuses formatted alike so their tables read the same.
"""

from __future__ import annotations

import os
from pathlib import Path

ICONS = {
    "regressed": "❌ regressed",
    "improved": "✅ improved",
    "unchanged": "✅ unchanged",
    "within tolerance": "✅ within tolerance",
    "new": "🆕 new",
    "removed": "⚠️ removed",
    "not gated": "⚪ not gated",
    "too small to gate": "⚪ too small to gate",
    "missing": "⚪ measured on neither side",
}


def number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def signed(value: float | None) -> str:
    return "n/a" if value is None else f"{value:+.4f}"


def publish(markdown: str, output: Path) -> Path:
    """Write the report file, and the job summary when running in GitHub Actions."""
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(markdown)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a") as handle:
            handle.write(markdown)
    return output
