"""Main's rules judge the PR: the gate reads `review:` from the base revision, not the PR.

A PR that loosens its own tolerances is still judged by the ones on main; its change is shown
in the report and takes effect after the merge, once a reviewer has accepted it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from ..config import PARAMS_FILE, EvaluateParams, Params, ReviewParams, explain
from ..errors import UserError
from ..vcs import file_at


@dataclass(frozen=True)
class Rules:
    review: ReviewParams
    sensitive_features: list[str]  # the columns whose groups the fairness gate judges
    source: str  # where the rules came from, for the report
    changes: list[tuple[str, Any, Any]]  # (key, base, PR) of `review:` keys the PR changes


def flatten(tree: Any, prefix: str) -> dict[str, Any]:
    if not isinstance(tree, dict):
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in tree.items():
        flat.update(flatten(value, f"{prefix}.{key}"))
    return flat


def rule_changes(base: dict[str, Any], pr: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    old, new = flatten(base.get("review"), "review"), flatten(pr.get("review"), "review")
    return [
        (key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def without_slices(tree: dict[str, Any]) -> dict[str, Any]:
    """A base from before fairness read in today's terms, so the PR updating it can be judged.

    Its `evaluate.slice_by` is the one sensitive feature; its `review.slices` the group gate.
    """
    review, evaluate = dict(tree.get("review") or {}), dict(tree.get("evaluate") or {})
    if isinstance(slices := review.pop("slices", None), dict):
        groups = dict(slices)
        review["fairness"] = {"groups": groups, "min_rows": groups.pop("min_rows", 30)}
    if "slice_by" in evaluate:
        column = evaluate.pop("slice_by")
        evaluate["sensitive_features"] = [column] if column else []
    return {**tree, "review": review, "evaluate": evaluate}


def rules_of(base_name: str, base_sha: str, params: Params, pr_tree: dict[str, Any]) -> Rules:
    """The base revision's gate; the PR's own only when the base has no params.yaml yet."""
    text = file_at(base_sha, PARAMS_FILE)
    if text is None:
        note = f"this PR's `review:` (`{base_name}` has no {PARAMS_FILE} yet)"
        return Rules(params.review, params.evaluate.sensitive_features, note, [])
    base_tree = yaml.safe_load(text) or {}
    current = without_slices(base_tree)
    try:
        review = ReviewParams.model_validate(current["review"])
        evaluate = EvaluateParams.model_validate(current["evaluate"])
    except ValidationError as error:
        raise UserError(
            f"the gate on {base_name} cannot be read, so nothing can judge this PR; "
            f"fix `review:` and `evaluate:` on {base_name} first. "
            f"{explain(error, PARAMS_FILE)}"
        ) from None
    source = f"`review:` in {PARAMS_FILE} on `{base_name}` ({base_sha[:7]})"
    return Rules(review, evaluate.sensitive_features, source, rule_changes(base_tree, pr_tree))
