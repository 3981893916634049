"""One review comment per PR: found by its marker and its author, never another bot's."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }}.review import (
    comment,
)
from {{ cookiecutter.package_name }}.review.report import (
    MARKER,
)


@pytest.fixture
def github(monkeypatch, tmp_path):
    """A stand-in for `gh api`: the PR's comments, and every call made."""
    calls: list[tuple[str, ...]] = []
    existing: list[dict] = []

    def call(*command: str) -> str:
        calls.append(command)
        return json.dumps(existing) if "--paginate" in command else "{}"

    monkeypatch.setattr(comment, "call", call)
    monkeypatch.setenv("GH_REPO", "acme/model")
    monkeypatch.setenv("PR_NUMBER", "7")
    report = tmp_path / "review.md"
    report.write_text(f"{MARKER}\n## ✅ Model review\n")
    return calls, existing, report


def test_the_first_review_creates_the_comment(github):
    calls, _, report = github
    assert comment.post_review(report) == "created the review comment on PR #7"
    assert calls[-1][3:5] == ("POST", "repos/acme/model/issues/7/comments")
    assert calls[-1][-1] == f"body=@{report}"


def test_a_later_review_updates_its_own_comment_not_another_bots(github):
    calls, existing, report = github
    existing += [
        {"id": 11, "user": {"login": "other-bot[bot]"}, "body": f"{MARKER}\nnot ours"},
        {"id": 12, "user": {"login": "github-actions[bot]"}, "body": "a different comment"},
        {"id": 13, "user": {"login": "github-actions[bot]"}, "body": f"{MARKER}\nthe review"},
    ]
    assert comment.post_review(report) == "updated the review comment 13 on PR #7"
    assert calls[-1][3:5] == ("PATCH", "repos/acme/model/issues/comments/13")
