"""The `review` command: the PR's model against main's, as a Markdown report and a gate.

Exit 0 when no metric, fairness measure or group regresses beyond its tolerance, 1 when one
does.
A base without metrics is no error: the report says there is no baseline yet.
"""

from __future__ import annotations

import sys
from argparse import Namespace
from dataclasses import dataclass

from ..core.errors import UserError
from ..core.fairness_gate import fairness_section, split_metrics
from ..core.gate import judge_metrics
from ..core.git import head_commit, resolve_base
from ..core.lockfile import reviewed_md5
from ..core.params import Params, load_params, read_params_tree
from ..core.reports import publish
from . import diffs, report
from .rules import rules_of


@dataclass(frozen=True)
class Outcome:
    markdown: str
    regressions: list[str]
    has_baseline: bool


def model_hash() -> str:
    """The md5 DVC recorded for the model: what the release will ship."""
    try:
        return reviewed_md5()
    except UserError:
        return "(not in dvc.lock: run `make pipeline` and commit dvc.lock)"


def review(params: Params, base: str | None = None, reproduced: bool = True) -> Outcome:
    """Judge the workspace's metrics against the base's, under the base's rules."""
    base_name, base_sha = resolve_base(base)
    rules = rules_of(base_name, base_sha, params, read_params_tree())
    metric_diff = diffs.dvc_diff("metrics", base_name)
    main_overall, main_fairness = split_metrics(diffs.side(metric_diff, "old"))
    pr_overall, pr_fairness = split_metrics(diffs.side(metric_diff, "new"))
    has_baseline = bool(main_overall)

    rows = judge_metrics(main_overall, pr_overall, rules.review.metrics)
    regressions = [row.name for row in rows if row.status == "regressed"]

    fairness, unfair = fairness_section(
        rules.sensitive_features, main_fairness, pr_fairness, rules.review.fairness
    )
    regressions += unfair

    params_diff = diffs.dvc_diff("params", base_name)
    changes = [
        (name, values.get("old"), values.get("new"))
        for name, values in sorted(params_diff.items())
        if values.get("old") != values.get("new")
    ]
    if not has_baseline:
        regressions = []
    markdown = report.render(
        base=base_name,
        base_sha=base_sha,
        head_sha=head_commit(),
        metrics=rows,
        params=changes,
        fairness=fairness,
        regressions=regressions,
        has_baseline=has_baseline,
        model_hash=model_hash(),
        rules=report.rules_section(rules.source, rules.changes),
        reproduced=reproduced,
    )
    return Outcome(markdown, regressions, has_baseline)


def review_command(args: Namespace) -> int:
    """Print and publish the review; the exit code is the gate."""
    params = load_params()
    reproduced = not args.not_reproduced
    outcome = review(params, args.base or None, reproduced)
    publish(outcome.markdown, args.output)
    print(outcome.markdown)
    if outcome.regressions:
        named = ", ".join(outcome.regressions)
        print(f"error: regressed beyond tolerance: {named}", file=sys.stderr)
        return 1
    if not reproduced:
        print(f"::warning::{report.NOT_REPRODUCED}", file=sys.stderr)
    return 0
