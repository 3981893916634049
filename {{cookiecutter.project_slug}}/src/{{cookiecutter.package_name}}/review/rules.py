"""Main's rules judge the PR: the gate reads `review:` from the base revision, not the PR. A PR
that loosens its own tolerances is still judged by main's; the report shows the change, which
takes effect after the merge, once a reviewer has accepted it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import ValidationError

from ..core.errors import UserError
from ..core.git import file_at
from ..core.params import EvaluateParams, Params, ReviewParams, explain, flatten
from ..core.paths import PARAMS_FILE

Changes = list[tuple[str, Any, Any]]  # (key, base, PR) of the `review:` keys the PR changes


@dataclass(frozen=True)
class Rules:
    gate: ReviewParams
    sensitive_features: list[str]  # the columns whose groups the fairness gate judges
    source: str  # where the rules came from, for the report
    changes: Changes


def rule_changes(base: dict[str, Any], pr: dict[str, Any]) -> Changes:
    old, new = flatten(base.get("review"), "review"), flatten(pr.get("review"), "review")
    return [
        (key, old.get(key), new.get(key))
        for key in sorted(set(old) | set(new))
        if old.get(key) != new.get(key)
    ]


def rules_of(base_name: str, base_sha: str, params: Params, pr_tree: dict[str, Any]) -> Rules:
    """The base revision's gate and sensitive features, where they came from (for the report)
    and the PR's changes to them; the PR's own gate only when the base has no params.yaml yet."""
    text = file_at(base_sha, PARAMS_FILE)
    if text is None:
        note = f"this PR's `review:` (`{base_name}` has no {PARAMS_FILE} yet)"
        return Rules(params.review, params.evaluate.sensitive_features, note, [])
    base_tree = yaml.safe_load(text) or {}
    try:
        review = ReviewParams.model_validate(base_tree.get("review"))
        evaluate = EvaluateParams.model_validate(base_tree.get("evaluate"))
    except ValidationError as error:
        raise UserError(
            f"the gate on {base_name} cannot be read, so nothing can judge this PR; "
            f"fix `review:` and `evaluate:` on {base_name} first. "
            f"{explain(error, PARAMS_FILE)}"
        ) from None
    source = f"`review:` in {PARAMS_FILE} on `{base_name}` ({base_sha[:7]})"
    return Rules(review, evaluate.sensitive_features, source, rule_changes(base_tree, pr_tree))
