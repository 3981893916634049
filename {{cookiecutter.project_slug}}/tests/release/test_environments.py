"""`make protect-environments`: each identity-holding environment ends deployable from main only."""

from __future__ import annotations

import json

import pytest

from {{ cookiecutter.package_name }}.core import (
    shell,
)
from {{ cookiecutter.package_name }}.release import (
    environments,
)


@pytest.fixture
def github(monkeypatch):
    """A stand-in for `gh api`: each environment's branch policies, and every call made."""
    calls: list[tuple[str, ...]] = []
    policies = {
        "release": [],
        "retrain": [{"id": 5, "name": "main", "type": "branch"}],
        "production": [{"id": 8, "name": "feature/*", "type": "branch"}],
    }

    def call(*command: str) -> str:
        calls.append(command)
        path = command[-1]
        if path.endswith("/deployment-branch-policies") and "--method" not in command:
            name = path.split("/environments/")[1].split("/")[0]
            return json.dumps({"branch_policies": policies[name]})
        return "{}"

    monkeypatch.setattr(shell, "call", call)
    return calls


def writes(calls: list[tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(command[3], command[4]) for command in calls if "--method" in command]


def test_every_environment_gets_a_main_only_policy_and_loses_any_other(github):
    message = environments.protect_environments_command(None)
    names = environments.ENVIRONMENTS
    assert message.splitlines() == [f"{name}: deployable from main only" for name in names]
    base = "repos/{owner}/{repo}/environments"
    assert writes(github) == [
        ("PUT", f"{base}/release"),
        ("POST", f"{base}/release/deployment-branch-policies"),  # created
        ("PUT", f"{base}/retrain"),  # already main only: left as it is
        ("PUT", f"{base}/production"),
        ("DELETE", f"{base}/production/deployment-branch-policies/8"),  # feature/* removed
        ("POST", f"{base}/production/deployment-branch-policies"),
    ]
    put = next(command for command in github if "PUT" in command)
    assert "deployment_branch_policy[custom_branch_policies]=true" in put
    assert "deployment_branch_policy[protected_branches]=false" in put
    post = next(command for command in github if "POST" in command)
    assert post[-4:] == ("-f", "name=main", "-f", "type=branch")
