"""The `retrain-pr` command: put a retrained model on a branch and open a pull request.
Nothing is merged here: the PR runs the same review and gate as a human change. GitHub starts
no workflows for a PR opened with GITHUB_TOKEN, so GH_TOKEN must be a GitHub App token or a
fine-grained PAT (see the README)."""

from __future__ import annotations

import json
import os
import sys
from argparse import Namespace
from datetime import UTC, datetime
from pathlib import Path

from ..core.errors import UserError
from ..core.git import uncommitted
from ..core.params import PACKAGE, load_params
from ..core.paths import (
    DRIFT_REPORT,
    DRIFT_RESULT,
    LOCK_FILE,
    METRICS_FILE,
    PERFORMANCE_REPORT,
    PERFORMANCE_RESULT,
    PLOTS_DIR,
    RETRAIN_PR_BODY,
    REVIEW_REPORT,
)
from ..core.shell import call, run

BOT = "retrain-bot"
BOT_IDENTITY = ["-c", f"user.name={BOT}", "-c", f"user.email={BOT}@users.noreply.github.com"]


def pr_body(review_markdown: str) -> str:
    found = []  # the reason: what the checks found
    for result, key, what in (
        (DRIFT_RESULT, "drifted_columns", "input drift"),
        (PERFORMANCE_RESULT, "dropped_metrics", "a performance drop"),
    ):
        if result.exists() and (names := json.loads(result.read_text()).get(key)):
            found.append(f"{what} in {', '.join(names)}")
    reason = " and ".join(found) or "a forced run (no drift, no performance drop)"
    drift = DRIFT_REPORT.read_text() if DRIFT_REPORT.exists() else "No drift report: forced run.\n"
    performance = PERFORMANCE_REPORT.read_text() + "\n" if PERFORMANCE_REPORT.exists() else ""
    return (
        f"Automated retraining. Reason: {reason}.\n\n"
        "This PR goes through the same review and gate as any other; "
        f"merge it only if you accept the new model.\n\n{drift}\n{performance}{review_markdown}"
    )


def retrain_pr_command(args: Namespace) -> str:
    outputs = [LOCK_FILE, METRICS_FILE, PLOTS_DIR, Path(f"{load_params().data.raw}.dvc")]
    if not (changed := uncommitted(outputs)):
        return "retraining changed neither dvc.lock nor the data version: no PR to open"
    if os.environ.get("GITHUB_ACTIONS") == "true" and not os.environ.get("GH_TOKEN"):
        raise UserError(
            "GH_TOKEN is empty: set the RETRAIN_APP_ID variable and RETRAIN_APP_PRIVATE_KEY "
            "secret (a GitHub App), or a RETRAIN_PAT secret: a GITHUB_TOKEN PR starts no review."
        )
    # The review runs as its own command, as in a PR: monitoring does not import the review.
    gate = run(sys.executable, "-m", PACKAGE, "review", "--output", str(REVIEW_REPORT),
               *(() if args.base == "main" else ("--base", args.base)))  # fmt: skip
    if gate.returncode not in (0, 1) or not REVIEW_REPORT.is_file():
        raise UserError(f"the review of the retrained model failed: {gate.stderr.strip()}")
    RETRAIN_PR_BODY.write_text(pr_body(REVIEW_REPORT.read_text()))
    stamp = os.environ.get("GITHUB_RUN_ID") or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    branch = f"retrain/{stamp}"
    call("git", "checkout", "-q", "-b", branch)
    call("git", "add", "--", *changed)
    verdict = "gate would fail" if gate.returncode else "gate passes"
    title = f"Retrain the model on the latest data ({verdict})"
    # A bot identity when the runner has none configured (CI checkouts set none).
    configured = run("git", "config", "user.email").returncode == 0
    identity = [] if configured or "GIT_AUTHOR_EMAIL" in os.environ else BOT_IDENTITY
    call("git", *identity, "commit", "-q", "--no-verify", "-m", title)
    if os.environ.get("GH_TOKEN"):
        call("gh", "auth", "setup-git")  # git push authenticates with GH_TOKEN
    call("git", "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    call(
        "gh", "pr", "create", "--base", args.base, "--head", branch, "--title", title,
        "--body-file", str(RETRAIN_PR_BODY),
    )  # fmt: skip
    return f"pushed {branch} and opened a pull request into {args.base}: {', '.join(changed)}"
