"""The DVC remote's identities as code: each cloud remote renders Terraform that is formatted,
passes checkov, gives write access to the writer only, and trusts exactly the OIDC subjects
the workflows run as (the reader: pull requests and main; the writer: main and its
environments). All offline: `terraform init` would need the provider registry."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import hcl2  # bc-python-hcl2, the HCL parser checkov ships (python-hcl2 would replace it)
import pytest

from support.tools import tool

CLOUD_REMOTES = ["s3", "gcs", "azure"]
TF_FILES = ["main.tf", "outputs.tf", "variables.tf", "versions.tf"]
# The repository variables the workflows read, per remote: the outputs, and nothing else.
REPOSITORY_VARIABLES = {
    "s3": {"AWS_REGION", "AWS_READER_ROLE_ARN", "AWS_WRITER_ROLE_ARN"},
    "gcs": {
        "GCP_WORKLOAD_IDENTITY_PROVIDER",
        "GCP_READER_SERVICE_ACCOUNT",
        "GCP_WRITER_SERVICE_ACCOUNT",
    },
    "azure": {
        "AZURE_TENANT_ID",
        "AZURE_SUBSCRIPTION_ID",
        "AZURE_READER_CLIENT_ID",
        "AZURE_WRITER_CLIENT_ID",
        "AZURE_STORAGE_ACCOUNT",
    },
}
# What follows `repo:OWNER/REPO:` in the `sub` claim each identity trusts.
READER_SUBJECTS = {"pull_request", "ref:refs/heads/main"}
WRITER_SUBJECTS = {
    "ref:refs/heads/main",
    "environment:release",
    "environment:retrain",
}
SUBJECT_PREFIX = "repo:${var.github_repository}:"
# The values a user passes with -var: checkov resolves the subjects from them.
TFVARS = (
    'github_repository = "my-org/churn-model"\n'
    'project_id        = "my-project"\n'
    'subscription_id   = "00000000-0000-0000-0000-000000000000"\n'
)
S3_WRITE_ACTIONS = re.compile(r"^s3:(\*|Put.*|Delete.*|Restore.*|Replicate.*)$")
REFERENCE = re.compile(r"^\$\{(?P<path>[\w.-]+)\}$")


@pytest.fixture(scope="module")
def infra(render) -> dict[str, Path]:
    """infra/terraform of a project rendered for each cloud remote."""
    return {remote: render(dvc_remote=remote) / "infra" / "terraform" for remote in CLOUD_REMOTES}


class Terraform:
    """The blocks of a Terraform directory, parsed; attribute values unwrapped."""

    def __init__(self, directory: Path) -> None:
        self.blocks: dict[tuple[str, str, str], dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.locals: dict[str, Any] = {}
        for path in sorted(directory.glob("*.tf")):
            parsed = hcl2.loads(path.read_text())
            for kind in ("resource", "data"):
                for block in parsed.get(kind, []):
                    for block_type, named in block.items():
                        for name, body in named.items():
                            self.blocks[(kind, block_type, name)] = body
            for block in parsed.get("output", []):
                self.outputs.update(block)
            for block in parsed.get("locals", []):
                self.locals.update({k: v[0] for k, v in block.items() if not k.startswith("__")})
        # The parser adds __start_line__ / __end_line__ keys beside the attributes.
        self.outputs = {k: v for k, v in self.outputs.items() if not k.startswith("__")}

    def of_type(self, kind: str, block_type: str) -> dict[str, dict[str, Any]]:
        return {
            name: body for (k, t, name), body in self.blocks.items() if (k, t) == (kind, block_type)
        }

    def local_map(self, expression: str) -> dict[str, str]:
        """`${local.x}` or `${values(local.x)}` to the map local.x holds."""
        match = re.fullmatch(r"\$\{(?:values\()?local\.(\w+)\)?\}", expression)
        assert match, f"expected a reference to a local map, got {expression!r}"
        return self.locals[match[1]]


def one(body: dict[str, Any], key: str) -> Any:
    """An attribute's value: the parser wraps each in a one-element list."""
    return body[key][0]


def reference(value: str) -> tuple[str, ...]:
    """`${aws_iam_role.writer.arn}` -> ("aws_iam_role", "writer", "arn")."""
    match = REFERENCE.match(value)
    assert match, f"expected a single reference, got {value!r}"
    return tuple(match["path"].split("."))


def suffixes(subjects: dict[str, str]) -> set[str]:
    """The claims after `repo:OWNER/REPO:`, each pinned to this repository, no wildcard."""
    for subject in subjects.values():
        assert subject.startswith(SUBJECT_PREFIX), f"{subject!r} is not pinned to the repository"
        assert "*" not in subject, f"wildcard in the sub claim {subject!r}"
    return {subject.removeprefix(SUBJECT_PREFIX) for subject in subjects.values()}


def trusted_subjects(tf: Terraform, remote: str, identity: str) -> set[str]:
    """The `sub` claims wired into the trust of `identity` ("reader" or "writer")."""
    if remote == "s3":
        role = tf.blocks[("resource", "aws_iam_role", identity)]
        _, _, document, _ = reference(one(role, "assume_role_policy"))
        (statement,) = tf.blocks[("data", "aws_iam_policy_document", document)]["statement"]
        conditions = {one(c, "variable").rsplit(":", 1)[-1]: c for c in statement["condition"]}
        assert one(conditions["aud"], "test") == "StringEquals"
        assert one(conditions["aud"], "values") == ["sts.amazonaws.com"]
        assert one(conditions["sub"], "test") == "StringEquals", "a sub pattern is a wildcard"
        assert one(statement, "actions") == ["sts:AssumeRoleWithWebIdentity"]
        return suffixes(tf.local_map(one(conditions["sub"], "values")))
    if remote == "gcs":
        bindings = [
            body
            for body in tf.of_type("resource", "google_service_account_iam_member").values()
            if reference(one(body, "service_account_id"))[1] == identity
        ]
        assert len(bindings) == 1, f"{identity}: expected one federation binding"
        (binding,) = bindings
        assert one(binding, "role") == "roles/iam.workloadIdentityUser"
        assert one(binding, "member") == "${local.principal}/${each.value}"
        principal = tf.locals["principal"]
        assert principal.startswith("principal://iam.googleapis.com/") and principal.endswith(
            "/subject"
        ), f"members must name one subject each, got {principal!r}"
        return suffixes(tf.local_map(one(binding, "for_each")))
    credentials = tf.of_type("resource", "azuread_application_federated_identity_credential")
    (credential,) = [
        body
        for body in credentials.values()
        if reference(one(body, "application_id"))[1] == identity
    ]
    assert one(credential, "subject") == "${each.value}"
    assert one(credential, "audiences") == ["api://AzureADTokenExchange"]
    assert one(credential, "issuer") == "https://token.actions.githubusercontent.com"
    return suffixes(tf.local_map(one(credential, "for_each")))


def write_grants(tf: Terraform, remote: str) -> dict[str, set[str]]:
    """Identity name -> the write permissions it is granted on the remote's storage."""
    grants: dict[str, set[str]] = {}
    if remote == "s3":
        for body in tf.of_type("resource", "aws_iam_role_policy").values():
            role = reference(one(body, "role"))[1]
            document = tf.blocks[
                ("data", "aws_iam_policy_document", reference(one(body, "policy"))[2])
            ]
            for statement in document["statement"]:
                if statement.get("effect", ["Allow"])[0] != "Allow":
                    continue
                writes = {a for a in one(statement, "actions") if S3_WRITE_ACTIONS.match(a)}
                grants.setdefault(role, set()).update(writes)
    elif remote == "gcs":
        for body in tf.of_type("resource", "google_storage_bucket_iam_member").values():
            member = one(body, "member")
            identity = re.fullmatch(
                r"serviceAccount:\$\{google_service_account\.(\w+)\.email\}", member
            )
            assert identity, f"bucket access for an unexpected member {member!r}"
            role = one(body, "role")
            writes = {role} if role != "roles/storage.objectViewer" else set()
            grants.setdefault(identity[1], set()).update(writes)
    else:
        for body in tf.of_type("resource", "azurerm_role_assignment").values():
            identity = reference(one(body, "principal_id"))[1]
            role = one(body, "role_definition_name")
            writes = {role} if role != "Storage Blob Data Reader" else set()
            grants.setdefault(identity, set()).update(writes)
    return grants


def test_local_remote_has_no_infrastructure(render):
    assert not (render(dvc_remote="local") / "infra").exists()


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_terraform_is_formatted(infra, remote):
    terraform = tool("terraform")
    assert sorted(path.name for path in infra[remote].glob("*.tf")) == TF_FILES
    result = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-diff", "-no-color"],
        cwd=infra[remote],
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "CHECKPOINT_DISABLE": "1"},
    )
    assert result.returncode == 0, f"run `terraform fmt -recursive`:\n{result.stdout}"


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_checkov_finds_no_failed_check(infra, remote, tmp_path):
    checkov = tool("checkov")
    tfvars = tmp_path / "test.tfvars"
    tfvars.write_text(TFVARS)
    options = ["--framework", "terraform", "--quiet", "--compact", "--skip-download"]
    result = subprocess.run(
        [checkov, "-d", str(infra[remote]), *options, "--var-file", str(tfvars)],
        capture_output=True,
        text=True,
        # BC_SKIP_MAPPING: no fetch of the check guidelines from the vendor's API (offline).
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    summary = re.search(
        r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)", result.stdout
    )
    assert summary, f"no checkov summary:\n{result.stdout}\n{result.stderr[-3000:]}"
    assert summary[2] == "0" and result.returncode == 0, result.stdout
    # Every skip names its check and says why.
    main = (infra[remote] / "main.tf").read_text()
    for check, reason in re.findall(r"#checkov:skip=([^:\s]*):?(.*)", main):
        assert re.fullmatch(r"CKV2?_[A-Z]+_\d+", check) and len(reason.strip()) > 20, (
            check,
            reason,
        )


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_outputs_are_exactly_the_repository_variables(infra, remote):
    assert set(Terraform(infra[remote]).outputs) == REPOSITORY_VARIABLES[remote]


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_only_the_writer_may_write_to_the_remote(infra, remote):
    grants = write_grants(Terraform(infra[remote]), remote)
    assert set(grants) == {"reader", "writer"}, f"storage access for {sorted(grants)}"
    assert grants["reader"] == set(), f"the reader may write: {grants['reader']}"
    assert grants["writer"], "the writer has no write permission"


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_reader_trusts_pull_requests_and_main_only(infra, remote):
    assert trusted_subjects(Terraform(infra[remote]), remote, "reader") == READER_SUBJECTS


@pytest.mark.parametrize("remote", CLOUD_REMOTES)
def test_writer_trusts_main_and_its_environments_only(infra, remote):
    subjects = trusted_subjects(Terraform(infra[remote]), remote, "writer")
    assert subjects == WRITER_SUBJECTS
    assert "pull_request" not in subjects


def test_gcp_provider_accepts_only_this_repository(infra):
    tf = Terraform(infra["gcs"])
    (provider,) = tf.of_type("resource", "google_iam_workload_identity_pool_provider").values()
    condition = one(provider, "attribute_condition")
    assert condition.startswith("assertion.repository == '${var.github_repository}' && ")
    assert "assertion.sub in ${jsonencode(local.trusted_subjects)}" in condition
    # An environment's subject names no branch: only main's ref may use one (GCP can check
    # the `ref` claim; AWS and Azure match the subject alone, so main-only environments do).
    assert condition.endswith(
        " && (assertion.sub == '${local.reader_subjects.pull-request}'"
        " || assertion.ref == 'refs/heads/main')"
    )
    assert one(provider, "attribute_mapping")["google.subject"] == "assertion.sub"
