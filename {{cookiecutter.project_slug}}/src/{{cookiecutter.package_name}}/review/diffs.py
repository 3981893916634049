"""Read main's and the workspace's metrics and params through DVC's own diff machinery.

`dvc metrics diff --json` and `dvc params diff --json` know where each revision keeps its
metrics (dvc.yaml) and flatten nested keys; re-parsing files from `git show` would not.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..shell import dvc

SLICES = "slices."


def dvc_diff(kind: str, base: str) -> dict[str, dict[str, Any]]:
    """{key: {"old": main's value, "new": the workspace's}} over every file of that kind."""
    merged: dict[str, dict[str, Any]] = {}
    for entries in (json.loads(dvc(kind, "diff", "--json", "--all", base) or "{}") or {}).values():
        merged.update(entries)
    return merged


def side(diff: dict[str, dict[str, Any]], which: str) -> dict[str, Any]:
    return {key: values.get(which) for key, values in diff.items() if values.get(which) is not None}


Slices = dict[str, dict[str, dict[str, float]]]


def split_metrics(flat: dict[str, Any]) -> tuple[dict[str, float], Slices]:
    """Top-level numbers, and slices as {column: {group: {metric: value}}}."""
    overall: dict[str, float] = {}
    slices: Slices = {}
    for key, value in flat.items():
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            continue  # a non-finite metric counts as missing: gated, that is a regression
        if key.startswith(SLICES):
            column, rest = key[len(SLICES) :].split(".", 1)
            group, metric = rest.rsplit(".", 1)
            slices.setdefault(column, {}).setdefault(group, {})[metric] = float(value)
        else:
            overall[key] = float(value)
    return overall, slices
