"""Read main's and the workspace's metrics and params through DVC's own diff machinery.

`dvc metrics diff --json` and `dvc params diff --json` know where each revision keeps its
metrics (dvc.yaml) and flatten nested keys; re-parsing files from `git show` would not.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from ..shell import dvc

FAIRNESS = "fairness."
GROUPS = "groups."
SLICES = "slices."  # metrics.json from before fairness: {column: {group: metrics}}


def dvc_diff(kind: str, base: str) -> dict[str, dict[str, Any]]:
    """{key: {"old": main's value, "new": the workspace's}} over every file of that kind."""
    merged: dict[str, dict[str, Any]] = {}
    for entries in (json.loads(dvc(kind, "diff", "--json", "--all", base) or "{}") or {}).values():
        merged.update(entries)
    return merged


def side(diff: dict[str, dict[str, Any]], which: str) -> dict[str, Any]:
    return {key: values.get(which) for key, values in diff.items() if values.get(which) is not None}


Groups = dict[str, dict[str, float]]  # {group: {metric: value}}


@dataclass
class FeatureFairness:
    """One sensitive feature's numbers from metrics.json."""

    measures: dict[str, float] = field(default_factory=dict)
    groups: Groups = field(default_factory=dict)


def split_metrics(flat: dict[str, Any]) -> tuple[dict[str, float], dict[str, FeatureFairness]]:
    """Top-level numbers, and per sensitive feature its measures and groups."""
    overall: dict[str, float] = {}
    fairness: dict[str, FeatureFairness] = {}
    for key, value in flat.items():
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not math.isfinite(value)
        ):
            continue  # a non-finite metric counts as missing: gated, that is a regression
        if key.startswith(SLICES):
            column, rest = key[len(SLICES) :].split(".", 1)
            rest = rest.replace("(missing).", "missing.", 1)  # the old name of that group
            key = f"{FAIRNESS}{column}.{GROUPS}{rest}"
        if key.startswith(FAIRNESS):
            column, rest = key[len(FAIRNESS) :].split(".", 1)
            feature = fairness.setdefault(column, FeatureFairness())
            if rest.startswith(GROUPS):
                group, metric = rest[len(GROUPS) :].rsplit(".", 1)
                feature.groups.setdefault(group, {})[metric] = float(value)
            else:
                feature.measures[rest] = float(value)
        else:
            overall[key] = float(value)
    return overall, fairness
