"""`protect-environments`: GitHub creates an environment, unprotected, the first time a job
names it, and a job's OIDC subject names its environment whatever its branch. So the ones that
hold identities get one deployment-branch policy, `main`, and lose any other."""

from __future__ import annotations

from argparse import Namespace

from ..core.shell import gh_api

ENVIRONMENTS = ("release", "retrain", "production")
REPOSITORY = "repos/{owner}/{repo}"  # gh fills it in from the git remote, or GH_REPO


def protect_environments_command(args: Namespace) -> str:
    for name in ENVIRONMENTS:
        environment = f"{REPOSITORY}/environments/{name}"
        gh_api(
            "--method", "PUT", environment,
            "-F", "deployment_branch_policy[protected_branches]=false",
            "-F", "deployment_branch_policy[custom_branch_policies]=true",
        )  # fmt: skip
        policies = f"{environment}/deployment-branch-policies"
        found = (gh_api(policies) or {}).get("branch_policies") or []
        for policy in found:
            if (policy.get("name"), policy.get("type", "branch")) != ("main", "branch"):
                gh_api("--method", "DELETE", f"{policies}/{policy['id']}")
        if not any(policy.get("name") == "main" for policy in found):
            gh_api("--method", "POST", policies, "-f", "name=main", "-f", "type=branch")
    return "\n".join(f"{name}: deployable from main only" for name in ENVIRONMENTS)
