"""One review comment per PR, posted by main's code: the report is data, its PR confirmed
with GitHub, and the comment found by its marker and its author, never another bot's."""

from __future__ import annotations

import json
from argparse import Namespace

import pytest

from {{ cookiecutter.package_name }}.core import (
    shell,
)
from {{ cookiecutter.package_name }}.core.errors import (
    UserError,
)
from {{ cookiecutter.package_name }}.review import (
    comment,
)
from {{ cookiecutter.package_name }}.review.report import (
    MARKER,
)

HEAD = "c" * 40


@pytest.fixture
def github(monkeypatch, tmp_path):
    """A stand-in for `gh api`: the PR, its comments, and every call made."""
    calls: list[tuple[str, ...]] = []
    existing: list[dict] = []
    pulls = {"7": {"state": "open", "head": {"sha": HEAD}}, "8": {"state": "open"}}

    def call(*command: str) -> str:
        calls.append(command)
        if "--paginate" in command:
            return json.dumps(existing)
        if "/pulls/" in command[-1]:
            return json.dumps(pulls.get(command[-1].rsplit("/", 1)[1], {}))
        return "{}"

    monkeypatch.setattr(comment, "call", call)  # the paginated read of the comments
    monkeypatch.setattr(shell, "call", call)
    monkeypatch.setenv("GH_REPO", "acme/model")
    monkeypatch.setenv("HEAD_SHA", HEAD)
    monkeypatch.delenv("PR_NUMBER", raising=False)
    (tmp_path / "review.md").write_text(f"{MARKER}\n## ✅ Model review\n")
    (tmp_path / "pr-number").write_text("7\n")
    return calls, existing, tmp_path, pulls


def post(folder):
    return comment.pr_comment_command(Namespace(folder=folder))


def test_the_first_review_creates_the_comment_after_confirming_the_pr(github):
    calls, _, folder, _ = github
    assert post(folder) == "created the review comment on PR #7"
    assert calls[0] == ("gh", "api", "repos/acme/model/pulls/7")
    assert calls[-1][3:5] == ("POST", "repos/acme/model/issues/7/comments")
    assert calls[-1][-1] == f"body=@{folder / 'review.md'}"


def test_a_later_review_updates_its_own_comment_not_another_bots(github):
    calls, existing, folder, _ = github
    existing += [
        {"id": 11, "user": {"login": "other-bot[bot]"}, "body": f"{MARKER}\nnot ours"},
        {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "a different comment"},
        {"id": 13, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER}\nthe review"},
    ]
    assert post(folder) == "updated the review comment 13 on PR #7"
    assert calls[-1][3:5] == ("PATCH", "repos/acme/model/issues/comments/13")


@pytest.mark.parametrize(
    ("number", "pull", "message"),
    [
        ("8", None, r"PR #8 is open at None, but this review is of c{12}"),  # another PR
        ("7", {"state": "open", "head": {"sha": "d" * 40}}, "a newer push has its own review"),
        ("7", {"state": "closed", "head": {"sha": HEAD}}, "PR #7 is closed"),
        ("7; rm -rf /", None, "is not a number"),
    ],
)
def test_a_report_is_posted_only_on_the_open_pr_at_the_reviewed_commit(
    github, number, pull, message
):
    """The artifact names the PR, but it came from the PR's own code: GitHub decides."""
    calls, _, folder, pulls = github
    (folder / "pr-number").write_text(number)
    if pull is not None:
        pulls["7"] = pull
    with pytest.raises(UserError, match=message):
        post(folder)
    assert not [call for call in calls if "--method" in call], "nothing written"


@pytest.mark.parametrize(
    "body",
    [
        b"## no marker, so not a review\n",
        (MARKER + "\n" + "x" * comment.MAX_CHARACTERS).encode(),  # beyond GitHub's limit
        MARKER.encode() + b"\n\xff\xfe not text",
    ],
)
def test_a_report_without_a_reviews_shape_is_refused(github, body):
    calls, _, folder, _ = github
    (folder / "review.md").write_bytes(body)
    with pytest.raises(UserError, match=r"not a review report|not UTF-8"):
        post(folder)
    assert not calls, "refused before GitHub is asked anything"
