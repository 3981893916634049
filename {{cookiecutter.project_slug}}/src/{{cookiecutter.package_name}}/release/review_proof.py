"""Proof, before anything is built, that a release ships what a PR's review passed:
`verify-review` asks GitHub (branch rules can be bypassed by an admin), `verify-release` checks
the retrained workspace is exactly the reviewed pipeline."""

from __future__ import annotations

import json
import os
from argparse import Namespace
from typing import Any

from ..core import recipe
from ..core.errors import UserError
from ..core.lockfile import check_reviewed_model
from ..core.paths import MODEL_FILE
from ..core.shell import dvc, gh_api

REVIEW_CHECK = "Reproduce and review the model"  # the review job's name in pr-review.yml
REVIEW_WORKFLOW = ".github/workflows/pr-review.yml"
ACTIONS_APP = "github-actions"  # any app or token can post a check run; only this one counts


def merged_pull_request(repository: str, sha: str) -> dict[str, Any] | None:
    """The PR whose merge produced this commit (squash, merge or rebase), if any."""
    pulls = gh_api(f"repos/{repository}/commits/{sha}/pulls") or []
    merged = (p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha)
    return next(merged, None)


def review_conclusion(repository: str, head_sha: str) -> str | None:
    """The latest conclusion of pr-review.yml's review check on the PR's last commit; None if
    it never ran there. A check of the same name from another app or workflow is ignored."""
    path = f"repos/{repository}/commits/{head_sha}/check-runs"
    found = gh_api(path, "-f", f"check_name={REVIEW_CHECK}", "--method", "GET") or {}
    for run in found.get("check_runs", []):  # newest first
        if run.get("status") != "completed" or (run.get("app") or {}).get("slug") != ACTIONS_APP:
            continue
        # An Actions job's id is its check run's, and the job's workflow run names its file.
        job = gh_api(f"repos/{repository}/actions/jobs/{run['id']}") or {}
        workflow_run = gh_api(f"repos/{repository}/actions/runs/{job.get('run_id')}") or {}
        if str(workflow_run.get("path", "")).split("@")[0] == REVIEW_WORKFLOW:
            return str(run.get("conclusion"))
    return None


def verify_review_command(args: Namespace) -> str:
    repository, sha = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_SHA", "")
    if not repository or not sha:
        raise UserError(
            "GITHUB_REPOSITORY and GITHUB_SHA are not set: this runs in the release job"
        )
    pull = merged_pull_request(repository, sha)
    if pull is None:
        raise UserError(
            f"commit {sha[:12]} did not come from a merged pull request, so no review judged "
            "its model: nothing is built. Open a PR for it and merge it after the review passes."
        )
    head = str((pull.get("head") or {}).get("sha", ""))
    conclusion = review_conclusion(repository, head)
    if conclusion != "success":
        state = "never ran" if conclusion is None else f"ended '{conclusion}'"
        raise UserError(
            f"commit {sha[:12]} came from PR #{pull.get('number')}, whose review check "
            f"'{REVIEW_CHECK}' on {head[:12]} {state}: nothing is built"
        )
    return f"commit {sha[:12]} is PR #{pull.get('number')}, reviewed and merged: ship it"


def verify_release_command(args: Namespace) -> str:
    """Fail unless `dvc status` is clean and the model file is the one dvc.lock records."""
    recipe.refuse_frozen(recipe.read())  # a frozen stage keeps a model CI never trained
    if changed := json.loads(dvc("status", "--json") or "{}"):
        raise UserError(
            f"the pipeline on this commit is not the one that was reviewed "
            f"({', '.join(sorted(changed))} changed or missing; see `dvc status`). Run "
            "`make pipeline` in a pull request, let the review compare it, merge it, and push "
            "its data (`make push-data`)."
        )
    md5 = check_reviewed_model()
    return f"{MODEL_FILE} is the reviewed model (md5 {md5}); dvc status is clean"
