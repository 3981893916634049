"""`pr-comment`: one review comment per PR, posted by main's code, the report read as data.
The review job runs the PR's code without a write token, so what it left is untrusted: it must
look like a review, and GitHub must say its PR is open at the reviewed commit. Only the marked
comment by the same bot is updated (`gh pr comment --edit-last` takes the token user's last)."""

from __future__ import annotations

import json
import os
from argparse import Namespace
from pathlib import Path

from ..core.errors import UserError
from ..core.shell import call, gh_api
from .report import MARKER

BOT = "github-actions[bot]"  # the author of comments made with GITHUB_TOKEN
REPORT, NUMBER = "review.md", "pr-number"  # what the review job leaves in its artifact
MAX_CHARACTERS = 65_000  # GitHub refuses a comment body above 65,536 characters


def required(name: str) -> str:
    if value := os.environ.get(name):
        return value
    raise UserError(f"{name} is not set: the workflow passes it (see pr-comment.yml)")


def read_report(folder: Path) -> tuple[Path, str]:
    """The report and its PR number, refused unless they have the shape the review gives."""
    report = folder / REPORT
    if not report.is_file():
        raise UserError(f"{report} not found: run `make review` first")
    try:
        text = report.read_bytes().decode()
    except UnicodeDecodeError:
        raise UserError(f"{report} is not UTF-8 text: not a review report") from None
    if len(text) > MAX_CHARACTERS or not text.startswith(MARKER):
        raise UserError(
            f"{report} is not a review report (it must start with {MARKER} and hold at most "
            f"{MAX_CHARACTERS} characters; it has {len(text)})"
        )
    number_file = folder / NUMBER
    number = number_file.read_text().strip() if number_file.is_file() else required("PR_NUMBER")
    if not number.isdigit() or len(number) > 9:
        raise UserError(f"PR number {number[:20]!r} is not a number")
    return report, number


def pr_comment_command(args: Namespace) -> str:
    report, number = read_report(args.folder)
    repository = required("GH_REPO")
    if head_sha := os.environ.get("HEAD_SHA"):  # GitHub, not the artifact, says where the PR is
        pull = gh_api(f"repos/{repository}/pulls/{number}") or {}
        head = (pull.get("head") or {}).get("sha")
        if pull.get("state") != "open" or head != head_sha:
            raise UserError(
                f"PR #{number} is {pull.get('state', 'unknown')} at {str(head)[:12]}, but this "
                f"review is of {head_sha[:12]}: the comment is not posted (a newer push has its "
                "own review)"
            )
    pages = call("gh", "api", "--paginate", f"repos/{repository}/issues/{number}/comments")
    author = os.environ.get("COMMENT_AUTHOR", BOT)
    mine = (
        str(comment["id"])
        for comment in json.loads(pages.replace("][", ",") or "[]")  # --paginate joins arrays
        if (comment.get("user") or {}).get("login") == author
        and str(comment.get("body", "")).startswith(MARKER)
    )
    if found := next(mine, None):
        method, url = "PATCH", f"repos/{repository}/issues/comments/{found}"
    else:
        method, url = "POST", f"repos/{repository}/issues/{number}/comments"
    gh_api("--method", method, url, "-F", f"body=@{report}")
    done = f"updated the review comment {found}" if found else "created the review comment"
    return f"{done} on PR #{number}"
