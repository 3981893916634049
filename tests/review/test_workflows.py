"""Generated workflows and actions pass actionlint, zizmor, the GitHub schemas and our hygiene
rules for every supported option combination, and so does the template's own CI.

The mutation tests at the bottom break a known-good workflow one way at a time and show that
each check catches it, so a green run here means the checks ran, not that they were blind.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from support.combinations import SUPPORTED, TEMPLATE, combo_id
from support.projects import Render
from support.workflow_checks import action_files, check_workflows, report, workflow_files

PROJECT_TEMPLATE = TEMPLATE / "{{cookiecutter.project_slug}}"
REMOTES = ["local", "s3", "gcs", "azure"]
# The credentials action each remote keeps after the post-gen hook prunes the others.
REMOTE_AUTH_ACTION = {
    "local": None,
    "s3": "aws-actions/configure-aws-credentials@",
    "gcs": "google-github-actions/auth@",
    "azure": "azure/login@",
}


@pytest.mark.parametrize("combo", SUPPORTED, ids=combo_id)
def test_generated_workflows_are_linted_pinned_and_least_privilege(
    render: Render, combo: dict[str, str]
) -> None:
    project = render(**combo)
    assert project / ".github/workflows/rollback.yml" in workflow_files(project)
    problems = check_workflows(project)
    assert not problems, report(problems)


@pytest.mark.parametrize("combo", SUPPORTED, ids=combo_id)
def test_generated_project_keeps_only_the_credentials_action_of_its_remote(
    render: Render, combo: dict[str, str]
) -> None:
    project = render(**combo)
    actions = project / ".github" / "actions"
    assert sorted(p.parent.name for p in action_files(project)) == [
        "deploy",
        "remote-auth",
        "rollback",
        "setup",
    ]
    text = (actions / "remote-auth" / "action.yml").read_text()
    expected = REMOTE_AUTH_ACTION[combo["dvc_remote"]]
    for remote, action in REMOTE_AUTH_ACTION.items():
        if action is not None:
            assert (action in text) == (action == expected), f"{remote}: {action} in {text}"
    assert "configured" in yaml.safe_load(text)["outputs"]


def test_template_ci_passes_the_same_checks() -> None:
    problems = check_workflows(TEMPLATE)
    assert not problems, report(problems)


def test_remote_auth_variants_share_one_interface() -> None:
    """One calling workflow must work for any remote, so every variant takes the same inputs."""
    interfaces = {}
    for remote in REMOTES:
        path = PROJECT_TEMPLATE / ".github" / "actions" / f"remote-auth-{remote}" / "action.yml"
        action = yaml.safe_load(path.read_text())
        interfaces[remote] = (tuple(sorted(action["inputs"])), tuple(sorted(action["outputs"])))
    assert len(set(interfaces.values())) == 1, interfaces
    assert interfaces["s3"][1] == ("configured",)


CALLER = """\
name: push data
on:
  push:
    branches: [main]
permissions:
  contents: read
concurrency:
  group: push-data
jobs:
  push:
    name: Push data
    runs-on: ubuntu-latest
    timeout-minutes: 10
    permissions:
      contents: read
      id-token: write # OIDC token, exchanged for the DVC remote's short-lived credentials
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - id: remote
        uses: ./.github/actions/remote-auth
        with:
          aws-role-arn: ${{ vars.AWS_ROLE_ARN }}
          aws-region: ${{ vars.AWS_REGION }}
          gcp-workload-identity-provider: ${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}
          gcp-service-account: ${{ vars.GCP_SERVICE_ACCOUNT }}
          azure-client-id: ${{ vars.AZURE_CLIENT_ID }}
          azure-tenant-id: ${{ vars.AZURE_TENANT_ID }}
          azure-subscription-id: ${{ vars.AZURE_SUBSCRIPTION_ID }}
      - if: steps.remote.outputs.configured == 'true'
        run: make push-data
"""


def git_init(folder: Path) -> None:
    """A repository like a generated one: git, and the project's zizmor settings."""
    subprocess.run(["git", "init", "-q", folder], check=True)
    (folder / ".github").mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_TEMPLATE / ".github" / "zizmor.yml", folder / ".github" / "zizmor.yml")


@pytest.mark.parametrize("remote", REMOTES)
def test_a_workflow_can_push_data_with_any_remotes_credentials_action(
    tmp_path: Path, remote: str
) -> None:
    """The call later workflows make: all repository variables in, `configured` out."""
    git_init(tmp_path)
    shutil.copytree(
        PROJECT_TEMPLATE / ".github" / "actions" / f"remote-auth-{remote}",
        tmp_path / ".github" / "actions" / "remote-auth",
    )
    (tmp_path / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (tmp_path / ".github" / "workflows" / "push.yml").write_text(CALLER)
    problems = check_workflows(tmp_path)
    assert not problems, report(problems)


# --- The checks can fail: one defect at a time in a known-good workflow and action. ---

GOOD_WORKFLOW = """\
name: good
on:
  push:
    branches: [main]
  pull_request:
permissions:
  contents: read
concurrency:
  group: ${{ github.workflow }}-${{ github.ref }}
jobs:
  build:
    name: Build
    runs-on: ubuntu-latest
    timeout-minutes: 5
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1
        with:
          persist-credentials: false
      - name: Greet
        env:
          REF: ${{ github.head_ref }}
        run: echo "building $REF"
      - uses: ./.github/actions/hello
        with:
          who: ${{ github.actor }}
"""

GOOD_ACTION = """\
name: hello
description: Say hello.
inputs:
  who:
    description: Whom to greet.
    required: true
runs:
  using: composite
  steps:
    - name: Say hello
      shell: bash
      env:
        WHO: ${{ inputs.who }}
      run: echo "hello $WHO"
"""

PERSIST = "\n        with:\n          persist-credentials: false"
# name: (file, text to replace, replacement, [(tool, fragment of its message), ...])
DEFECTS = {
    "expression-in-run": (
        "workflow",
        'run: echo "building $REF"',
        'run: echo "building ${{ github.head_ref }}"',
        [
            ("hygiene", "inside `run:`"),
            ("zizmor", "template-injection"),
            ("actionlint", "potentially untrusted"),
        ],
    ),
    "unpinned-action": (
        "workflow",
        "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1",
        "actions/checkout@v4",
        [("hygiene", "not pinned"), ("zizmor", "unpinned-uses")],
    ),
    "pin-without-version-comment": (
        "workflow",
        " # v7.0.1",
        "",
        [("hygiene", "no `# vX.Y.Z` comment")],
    ),
    "persisted-credentials": (
        "workflow",
        PERSIST,
        "",
        [("hygiene", "persist-credentials"), ("zizmor", "artipacked")],
    ),
    "pull-request-target": (
        "workflow",
        "  pull_request:\n",
        "  pull_request_target:\n",
        [("hygiene", "pull_request_target"), ("zizmor", "dangerous-triggers")],
    ),
    "write-all-permissions": (
        "workflow",
        "permissions:\n  contents: read",
        "permissions: write-all",
        [("hygiene", "write-all"), ("zizmor", "excessive-permissions")],
    ),
    "write-permission-at-top": (
        "workflow",
        "permissions:\n  contents: read",
        "permissions:\n  contents: write",
        [("hygiene", "`contents: write`")],
    ),
    "no-permissions": (
        "workflow",
        "permissions:\n  contents: read\n",
        "",
        [("hygiene", "no top-level `permissions:`"), ("zizmor", "excessive-permissions")],
    ),
    "no-concurrency": (
        "workflow",
        "concurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n",
        "",
        [("zizmor", "concurrency-limits")],
    ),
    "no-timeout": (
        "workflow",
        "    timeout-minutes: 5\n",
        "",
        [("hygiene", "timeout-minutes")],
    ),
    "long-inline-shell": (
        "workflow",
        'run: echo "building $REF"',
        "run: |\n" + "".join(f'          echo "line {n}"\n' for n in range(8)),
        [("hygiene", "lines of inline shell")],
    ),
    "unquoted-variable": (
        "workflow",
        'run: echo "building $REF"',
        "run: echo building $REF",
        [("actionlint", "SC2086")],
    ),
    "schema-typo": (
        "workflow",
        "runs-on:",
        "run-on:",
        [("check-jsonschema", ""), ("actionlint", "")],
    ),
    "undefined-action-input": (
        "workflow",
        "who: ${{ github.actor }}",
        "whom: ${{ github.actor }}",
        [("actionlint", 'input "whom" is not defined')],
    ),
    "expression-in-action-run": (
        "action",
        'run: echo "hello $WHO"',
        'run: echo "hello ${{ inputs.who }}"',
        [("hygiene", "inside `run:`"), ("zizmor", "template-injection")],
    ),
    "unquoted-variable-in-action": (
        "action",
        'run: echo "hello $WHO"',
        "run: echo hello $WHO",
        [("shellcheck", "SC2086")],
    ),
    "action-schema-typo": (
        "action",
        "using: composite",
        "using: compost",
        [("check-jsonschema", "")],
    ),
}


def write_fixture(root: Path, workflow: str, action: str) -> Path:
    git_init(root)
    (root / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "actions" / "hello").mkdir(parents=True, exist_ok=True)
    (root / ".github" / "workflows" / "good.yml").write_text(workflow)
    (root / ".github" / "actions" / "hello" / "action.yml").write_text(action)
    return root


def test_the_known_good_fixture_passes_every_check(tmp_path: Path) -> None:
    problems = check_workflows(write_fixture(tmp_path, GOOD_WORKFLOW, GOOD_ACTION))
    assert not problems, report(problems)


@pytest.mark.parametrize("defect", DEFECTS)
def test_each_check_rejects_the_defect_it_guards_against(tmp_path: Path, defect: str) -> None:
    target, old, new, expected = DEFECTS[defect]
    workflow, action = GOOD_WORKFLOW, GOOD_ACTION
    if target == "workflow":
        assert old in workflow, f"stale fixture: {old!r}"
        workflow = workflow.replace(old, new, 1)
    else:
        assert old in action, f"stale fixture: {old!r}"
        action = action.replace(old, new, 1)
    problems = check_workflows(write_fixture(tmp_path, workflow, action))
    for tool_name, fragment in expected:
        assert any(p.startswith(f"{tool_name}:") and fragment in p for p in problems), (
            f"{tool_name} did not report {fragment!r} for {defect}; got:\n\n{report(problems)}"
        )


# What a pull request could use to write where main reads: the DVC remote, a package, the repo.
WRITE_COMMANDS = ("push-data", "dvc push", "push-image", "git push", "retrain-pr")
PR_WRITABLE_SCOPES = {"id-token"}  # OIDC for the reader; the comment is pr-comment.yml's
GITHUB_ACTIONS_APP = 15368


def triggers(workflow: dict) -> set[str]:
    events = workflow.get(True, workflow.get("on"))  # YAML 1.1 reads `on:` as True
    return set(events) if isinstance(events, dict | list) else {events}


def remote_auth_inputs(job: dict) -> list[dict[str, str]]:
    return [
        step.get("with", {})
        for step in job.get("steps", [])
        if step.get("uses") == "./.github/actions/remote-auth"
    ]


@pytest.mark.parametrize("combo", SUPPORTED, ids=combo_id)
def test_pull_request_workflows_hold_no_write_path_to_what_main_ships(
    render: Render, combo: dict[str, str]
) -> None:
    """Only main writes: a PR job runs no push, asks only for the reader identity, and may
    write nothing but its own review comment; writer identities appear only in jobs that
    run on main alone, inside an environment that main's branch policy guards."""
    project = render(**combo)
    for path in workflow_files(project):
        workflow = yaml.safe_load(path.read_text())
        on_pull_requests = bool(triggers(workflow) & {"pull_request", "pull_request_target"})
        for name, job in workflow["jobs"].items():
            where = f"{path.name}:{name}"
            runs = [step.get("run", "") for step in job.get("steps", [])]
            identities = [value for inputs in remote_auth_inputs(job) for value in inputs.values()]
            writer = any("WRITER" in value for value in identities)
            if on_pull_requests:
                assert not [run for run in runs if any(c in run for c in WRITE_COMMANDS)], where
                assert not writer, f"{where} asks for the DVC writer identity"
                scopes = {k for k, v in (job.get("permissions") or {}).items() if v == "write"}
                assert scopes <= PR_WRITABLE_SCOPES, f"{where} may write {scopes}"
            if "workflow_run" in triggers(workflow):  # main's code, with a write token
                for step in job.get("steps", []):
                    if step.get("uses", "").startswith("actions/checkout@"):
                        assert not {"ref", "repository"} & set(step.get("with", {})), where
                assert not writer, f"{where} asks for the DVC writer identity"
            if writer or any("push-data" in run for run in runs):
                assert job.get("if") == "github.ref == 'refs/heads/main'", where
                assert (job.get("environment") or {}).get("name"), f"{where}: no environment"


def test_the_ruleset_and_the_release_require_the_review_job_by_its_name(render: Render) -> None:
    """Three places name the review check: the job, main's ruleset and the release's proof."""
    project = render()
    review = yaml.safe_load((project / ".github/workflows/pr-review.yml").read_text())
    name = review["jobs"]["review"]["name"]
    ruleset = yaml.safe_load((project / ".github/rulesets/main.json").read_text())
    checks = next(r for r in ruleset["rules"] if r["type"] == "required_status_checks")
    # Pinned to GitHub Actions' app: no other app or token can post a passing check of that name.
    assert checks["parameters"]["required_status_checks"] == [
        {"context": name, "integration_id": GITHUB_ACTIONS_APP}
    ]
    package = project.name.replace("-", "_")
    proof = (project / "src" / package / "release" / "review_proof.py").read_text()
    assert f'REVIEW_CHECK = "{name}"' in proof
    assert ruleset["bypass_actors"] == [] and ruleset["enforcement"] == "active"
