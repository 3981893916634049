"""`pr-comment`: one review comment per PR, found by its marker and its author.

`gh pr comment --edit-last` edits the last comment of the token's user, which may be another
bot's; this looks for the comment that starts with the review's marker, written by the same
bot, and updates it, or creates it once.
"""

from __future__ import annotations

import json
import os
from argparse import Namespace
from pathlib import Path

from ..core.errors import UserError
from ..core.shell import call
from .report import MARKER

BOT = "github-actions[bot]"  # the author of comments made with GITHUB_TOKEN


def required(name: str) -> str:
    if value := os.environ.get(name):
        return value
    raise UserError(f"{name} is not set: the workflow passes it (see pr-review.yml)")


def review_comment_id(repository: str, number: str, author: str) -> str | None:
    pages = call("gh", "api", "--paginate", f"repos/{repository}/issues/{number}/comments")
    comments = json.loads(pages.replace("][", ",") or "[]")  # --paginate joins JSON arrays
    for comment in comments:
        if (comment.get("user") or {}).get("login") == author and str(
            comment.get("body", "")
        ).startswith(MARKER):
            return str(comment["id"])
    return None


def post_review(report: Path) -> str:
    if not report.is_file():
        raise UserError(f"{report} not found: run `make review` first")
    repository, number = required("GH_REPO"), required("PR_NUMBER")
    author = os.environ.get("COMMENT_AUTHOR", BOT)
    body = f"body=@{report}"
    if found := review_comment_id(repository, number, author):
        call(
            "gh",
            "api",
            "--method",
            "PATCH",
            f"repos/{repository}/issues/comments/{found}",
            "-F",
            body,
        )
        return f"updated the review comment {found} on PR #{number}"
    call(
        "gh", "api", "--method", "POST", f"repos/{repository}/issues/{number}/comments", "-F", body
    )
    return f"created the review comment on PR #{number}"


def pr_comment_command(args: Namespace) -> str:
    return post_review(args.report)
