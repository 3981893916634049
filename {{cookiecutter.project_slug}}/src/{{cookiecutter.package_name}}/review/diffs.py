"""Main's and the workspace's params through DVC's own diff, which flattens nested keys."""

from __future__ import annotations

import json
from typing import Any

from ..core.shell import dvc


def dvc_diff(kind: str, base: str) -> dict[str, dict[str, Any]]:
    """{key: {"old": main's value, "new": the workspace's}} over every file of that kind."""
    merged: dict[str, dict[str, Any]] = {}
    for entries in (json.loads(dvc(kind, "diff", "--json", "--all", base) or "{}") or {}).values():
        merged.update(entries)
    return merged
