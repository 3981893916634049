"""The `review` command: the PR's metrics.json (as CI computed it) against main's (read with
git), as a Markdown report and a gate: exit 1 on a regression beyond tolerance, or when CI could
not reproduce the model. A base without metrics sets no baseline, yet its absolute limits (a
fairness ceiling) still judge the PR."""

from __future__ import annotations

import sys
from argparse import Namespace

from ..core import recipe
from ..core.errors import UserError
from ..core.fairness_gate import fairness_section, split_metrics
from ..core.gate import judge_metrics, metric_table
from ..core.git import file_at, head_commit, resolve_base
from ..core.lockfile import reviewed_md5
from ..core.params import Params, flatten, load_params, read_params_tree
from ..core.paths import COST_RESULT, METRICS_FILE
from ..core.reports import parse_json, publish, read_json
from . import boundary, cost, diffs, report
from .rules import rules_of


def review(
    params: Params, base: str | None = None, reproduced: bool = True
) -> tuple[str, list[str]]:
    """The report and its regressions: the workspace's metrics against the base's, by its rules."""
    base_name, base_sha = resolve_base(base)
    pr_recipe = recipe.read()  # dvc.yaml, read once: frozen stages, metrics files, the diff
    recipe.refuse_frozen(pr_recipe)
    rules = rules_of(base_name, base_sha, params, read_params_tree())
    gate = rules.gate
    base_text = file_at(base_sha, METRICS_FILE)  # flattened as DVC does, both sides
    base_tree = {} if base_text is None else parse_json(base_text, f"{METRICS_FILE} on {base_name}")
    main_numbers, pr_numbers = flatten(base_tree), flatten(read_json(METRICS_FILE, {}))
    main_overall, main_fairness = split_metrics(main_numbers)
    pr_overall, pr_fairness = split_metrics(pr_numbers)
    has_baseline = bool(main_overall)

    rows = judge_metrics(main_overall, pr_overall, gate.metrics)
    regressions = [row.name for row in rows if row.status == "regressed"]
    fairness, unfair = fairness_section(
        rules.sensitive_features, main_fairness, pr_fairness, gate.fairness
    )
    regressions += unfair
    gated = set(main_numbers) | set(pr_numbers) | set(gate.metrics)
    regressions += boundary.shadowed(gated, pr_recipe)
    costs = cost.measure(base_sha, gate.cost, params.data.target)
    regressions += costs.regressions
    changed = diffs.changed_params(base_name)
    params_table = report.changes_table(["param", "main", "PR"], changed) if changed else ""
    try:
        md5 = reviewed_md5()  # what the release will ship
    except UserError:
        md5 = "(not in dvc.lock: run `make pipeline` and commit dvc.lock)"

    sections = [
        report.MARKER,
        report.verdict(regressions, has_baseline, reproduced),
        "" if reproduced else f"> [!WARNING]\n> {report.NOT_REPRODUCED}",
        f"Comparing `{base_name}` ({base_sha[:7]}) with this PR "
        f"({head_commit()[:7]} and its workspace).",
        "### Metrics",
        metric_table(rows, ["metric", "main", "PR", "Δ", "tolerance", "status"]),
        report.chart(rows) if has_baseline else "",
        "### Params",
        params_table or "No parameter changed.",
        fairness,
        costs.markdown,
        "### Gate rules",
        report.rules_section(rules.source, rules.changes),
        boundary.section(base_name, base_sha, pr_recipe),
        "---",
        f"<sub>Reviewed model: `models/model.skops`, md5 `{md5}` in dvc.lock. "
        "Tolerances live in `params.yaml` under `review:`; the base's judge each PR.</sub>",
    ]
    cost.save(costs, COST_RESULT)
    return "\n\n".join(section for section in sections if section) + "\n", regressions


def review_command(args: Namespace) -> int:
    """Print and publish the review; the exit code is the gate."""
    reproduced = not args.not_reproduced
    markdown, regressions = review(load_params(), args.base or None, reproduced)
    publish(markdown, args.output)
    print(markdown)
    if regressions:
        print(f"error: regressed beyond tolerance: {', '.join(regressions)}", file=sys.stderr)
    if not reproduced:
        print(f"error: {report.NOT_REPRODUCED}", file=sys.stderr)
    return 1 if regressions or not reproduced else 0
