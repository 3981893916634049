"""Read main's and the workspace's metrics and params through DVC's own diff machinery.

`dvc metrics diff --json` and `dvc params diff --json` know where each revision keeps its
metrics (dvc.yaml) and flatten nested keys; re-parsing files from `git show` would not.
"""

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


def side(diff: dict[str, dict[str, Any]], which: str) -> dict[str, Any]:
    return {key: values.get(which) for key, values in diff.items() if values.get(which) is not None}
