"""`pr-comment`: one review comment per PR, posted by main's code, the report read as data.

The review job runs the PR's code without a write token; `pr-comment.yml` runs main's code
with one, so what the review left is untrusted: it must look like a review, and the PR it
names must be open at the reviewed commit, as GitHub says. The comment updated is the one
starting with the review's marker by the same bot (`gh pr comment --edit-last` would take the
token user's last comment, maybe another bot's).
"""

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


def confirm_pull_request(repository: str, number: str, head_sha: str) -> None:
    """GitHub, not the artifact, says which commit the PR is at: it must be the reviewed one."""
    pull = gh_api(f"repos/{repository}/pulls/{number}") or {}
    head = (pull.get("head") or {}).get("sha")
    if pull.get("state") != "open" or head != head_sha:
        raise UserError(
            f"PR #{number} is {pull.get('state', 'unknown')} at {str(head)[:12]}, but this review "
            f"is of {head_sha[:12]}: the comment is not posted (a newer push has its own review)"
        )


def review_comment_id(repository: str, number: str, author: str) -> str | None:
    pages = call("gh", "api", "--paginate", f"repos/{repository}/issues/{number}/comments")
    comments = json.loads(pages.replace("][", ",") or "[]")  # --paginate joins JSON arrays
    for comment in comments:
        login = (comment.get("user") or {}).get("login")
        if login == author and str(comment.get("body", "")).startswith(MARKER):
            return str(comment["id"])
    return None


def post_review(folder: Path) -> str:
    report, number = read_report(folder)
    repository = required("GH_REPO")
    if head_sha := os.environ.get("HEAD_SHA"):
        confirm_pull_request(repository, number, head_sha)
    found = review_comment_id(repository, number, os.environ.get("COMMENT_AUTHOR", BOT))
    if found:
        method, url = "PATCH", f"repos/{repository}/issues/comments/{found}"
    else:
        method, url = "POST", f"repos/{repository}/issues/{number}/comments"
    gh_api("--method", method, url, "-F", f"body=@{report}")
    done = f"updated the review comment {found}" if found else "created the review comment"
    return f"{done} on PR #{number}"


def pr_comment_command(args: Namespace) -> str:
    return post_review(args.folder)
