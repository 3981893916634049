"""The review report's parts in GitHub-flavoured Markdown: verdict, tables, a mermaid chart.
Its first line is a hidden marker, so a workflow can find and update its one PR comment."""

from __future__ import annotations

from ..core.gate import MetricRow
from ..core.reports import table

MARKER = "<!-- mergeship-review -->"
NOT_REPRODUCED = (
    "Not reproduced: CI could not reach the data (a fork, or no DVC remote credentials), "
    "so these are the numbers committed in the PR, not numbers CI computed. Fix: give CI "
    "a DVC remote it can reach, with the reader identity (README, section 'Data remote')."
)


def verdict(regressions: list[str], has_baseline: bool, reproduced: bool = True) -> str:
    if regressions:
        named = ", ".join(f"`{name}`" for name in regressions)
        return f"## ❌ Model review: {len(regressions)} regression(s) beyond tolerance: {named}"
    if not reproduced:
        return "## ❌ Model review: not reproduced, so not judged"
    if not has_baseline:
        return "## ✅ Model review: no baseline on main\n\nThis PR sets the first baseline."
    return "## ✅ Model review: no metric regressed beyond tolerance"


def changes_table(header: list[str], changes: list[tuple[str, object, object]]) -> str:
    cells = ([f"`{v}`" if v is not None else "n/a" for v in change] for change in changes)
    return table(header, cells)


def rules_section(source: str, changes: list[tuple[str, object, object]]) -> str:
    """Which rules judged the PR, and the PR's own changes to them (effective after merge)."""
    lines = [f"Judged by {source}."]
    if changes:
        lines += [
            "",
            "⚠️ **This PR changes the gate's rules.** They take effect after the merge, "
            "once a reviewer accepts them; this review used the base's:",
            "",
            changes_table(["rule", "base (applied)", "PR (after merge)"], changes),
        ]
    return "\n".join(lines)


def chart(rows: list[MetricRow]) -> str:
    """Bars for main, a line for the PR: GitHub renders mermaid, so nothing is uploaded."""
    both = [row for row in rows if row.main is not None and row.pr is not None]
    if not both:
        return ""
    names = ", ".join(f'"{row.name}"' for row in both)
    main = ", ".join(f"{row.main:.4f}" for row in both)
    pr = ", ".join(f"{row.pr:.4f}" for row in both)
    return (
        '```mermaid\nxychart-beta\n    title "main (bars) vs PR (line)"\n'
        f"    x-axis [{names}]\n    bar [{main}]\n    line [{pr}]\n```"
    )
