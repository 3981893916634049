"""Proof, before anything is built, that a release ships what a pull request's review passed.

`verify-review` asks GitHub itself, since branch rules can be misconfigured or bypassed by an
admin: a direct push to main with a planted model never ships. `verify-release` checks that
the retrained workspace (`make reproduce`, `check-lock`) is exactly the reviewed pipeline.
"""

from __future__ import annotations

import json
import os
from argparse import Namespace
from typing import Any

from ..core.errors import UserError
from ..core.lockfile import check_reviewed_model
from ..core.paths import MODEL_FILE
from ..core.shell import call, dvc

REVIEW_CHECK = "Reproduce and review the model"  # the review job's name in pr-review.yml


def merged_pull_request(repository: str, sha: str) -> dict[str, Any] | None:
    """The PR whose merge produced this commit (squash, merge or rebase), if any."""
    pulls = json.loads(call("gh", "api", f"repos/{repository}/commits/{sha}/pulls") or "[]")
    merged = (p for p in pulls if p.get("merged_at") and p.get("merge_commit_sha") == sha)
    return next(merged, None)


def verify_review_command(args: Namespace) -> str:
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    sha = os.environ.get("GITHUB_SHA", "")
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
    # The review check on the PR's last commit; None if it never ran.
    url = f"repos/{repository}/commits/{head}/check-runs"
    found = call("gh", "api", url, "-f", f"check_name={REVIEW_CHECK}", "--method", "GET")
    runs = json.loads(found or "{}").get("check_runs", [])
    completed = [run for run in runs if run.get("status") == "completed"]
    conclusion = str(completed[0].get("conclusion")) if completed else None
    if conclusion != "success":
        state = "never ran" if conclusion is None else f"ended '{conclusion}'"
        raise UserError(
            f"commit {sha[:12]} came from PR #{pull.get('number')}, whose review check "
            f"'{REVIEW_CHECK}' on {head[:12]} {state}: nothing is built"
        )
    return f"commit {sha[:12]} is PR #{pull.get('number')}, reviewed and merged: ship it"


def verify_release_command(args: Namespace) -> str:
    """Fail unless `dvc status` is clean and the model file is the one dvc.lock records."""
    if changed := json.loads(dvc("status", "--json") or "{}"):
        raise UserError(
            f"the pipeline on this commit is not the one that was reviewed "
            f"({', '.join(sorted(changed))} changed or missing; see `dvc status`). Run "
            "`make pipeline` in a pull request, let the review compare it, merge it, and push "
            "its data (`make push-data`)."
        )
    md5 = check_reviewed_model()
    return f"{MODEL_FILE} is the reviewed model (md5 {md5}); dvc status is clean"
