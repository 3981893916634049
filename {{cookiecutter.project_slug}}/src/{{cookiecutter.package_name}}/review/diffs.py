"""Main's and the workspace's params through DVC's own diff, which flattens nested keys."""

from __future__ import annotations

import json
from typing import Any

from ..core.shell import dvc


def changed_params(base: str) -> list[tuple[str, Any, Any]]:
    """(key, main's value, the workspace's) of each param that differs, in every params file."""
    files = json.loads(dvc("params", "diff", "--json", base) or "{}") or {}
    merged = {name: values for entries in files.values() for name, values in entries.items()}
    return [(name, values.get("old"), values.get("new")) for name, values in sorted(merged.items())]
