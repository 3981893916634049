"""The release, for real: main with its reviewed model, and release.yml's steps executed in
order in a fresh clone, as GitHub runs them on a merge.

Stand-ins only for what needs GitHub, a registry or a cluster: checkout is the clone, OIDC is
the local-directory remote, artifacts are copied, and docker, kubectl and kustomize are
recording scripts. `docker build` still receives BentoML's real build context (Dockerfile and
model), and the smoke test's port-forward serves the real bento on 127.0.0.1 (one server, started
by the first forward, for the release and the runs that deploy after it).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.projects import (
    commit_all,
    copy_main,
    main_package,
    project_env,
    reviewed_md5,
    sh,
    working_copy,
)
from support.servers import free_port, start_server, stop, stop_group, wait_ready
from support.stand_ins import Artifacts, checkout, setup
from support.workflow_runner import StepContext, WorkflowRun

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("release")]

REPOSITORY = "Acme/Release-Demo"  # mixed case: registry names must be lowercased
IMAGE = "ghcr.io/acme/release-demo"
PACKAGE = main_package("classification")  # the shared main's (conftest.shared_main)
SLUG = PACKAGE.replace("_", "-")
RUN_ID = "4242"
LOG_URL = f"https://github.com/{REPOSITORY}/actions/runs/{RUN_ID}"
KUBECONFIG = "apiVersion: v1\nkind: Config\nclusters: []\n"
REAL_KUBECTL = shutil.which("kubectl")

FAKE_DOCKER = """
import hashlib, json, os, sys
from pathlib import Path
args, record = sys.argv[1:], {"args": sys.argv[1:]}
if args[:1] == ["build"]:  # bentoml containerize runs this in its build context
    context = Path.cwd()
    record["context"] = sorted(str(p.relative_to(context)) for p in context.rglob("*"))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({"tool": "docker", **record}) + "\\n")
if args[:1] == ["version"]:
    print('"28.2.2"')
elif args[:1] == ["push"]:
    tag = args[-1].rsplit(":", 1)[1]
    print(f"{tag}: digest: sha256:{hashlib.sha256(args[-1].encode()).hexdigest()} size: 2415")
"""

FAKE_KUSTOMIZE = """
import json, os, sys
import yaml
args = sys.argv[1:]
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps({"tool": "kustomize", "args": args, "cwd": os.getcwd()}) + "\\n")
if args[:3] == ["edit", "set", "image"]:  # NAME=NEWNAME@DIGEST, as kustomize writes it
    name, new = args[3].split("=", 1)
    new_name, digest = new.split("@", 1)
    spec = yaml.safe_load(open("kustomization.yaml"))
    spec["images"] = [i for i in spec.get("images", []) if i["name"] != name]
    spec["images"].append({"name": name, "newName": new_name, "digest": digest})
    yaml.safe_dump(spec, open("kustomization.yaml", "w"), sort_keys=False)
"""

FAKE_KUBECTL = """
import json, os, subprocess, sys
from pathlib import Path
args = sys.argv[1:]
record = {"tool": "kubectl", "args": args}
record["kubeconfig"] = Path(os.environ.get("KUBECONFIG", "/nonexistent")).read_text()
if args[:2] == ["apply", "-k"] and os.environ.get("REAL_KUBECTL"):
    render = [os.environ["REAL_KUBECTL"], "kustomize", args[2]]
    record["applied"] = subprocess.run(render, capture_output=True, text=True, check=True).stdout
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
if args[:2] == ["rollout", "status"]:
    failures = Path(os.environ["FAKE_ROLLOUT_FAILURES"])
    if failures.exists() and int(failures.read_text()) > 0:
        failures.write_text(str(int(failures.read_text()) - 1))
        sys.exit("error: deployment exceeded its progress deadline")
    print("deployment successfully rolled out")
elif args[:1] == ["port-forward"]:  # serve the real bento where the forward would listen
    import socket, time
    port = args[2].split(":")[0]
    with socket.socket() as probe:
        serving = probe.connect_ex(("127.0.0.1", int(port))) == 0
    if not serving:  # the first forward starts the bento's server; later ones find it there
        store = Path(os.environ["BENTOML_HOME"]) / "bentos" / os.environ["FAKE_PACKAGE"]
        bento = str(store / os.environ["FAKE_BENTO_VERSION"])  # the build job's bento
        bentoml = str(Path(".venv/bin/bentoml").resolve())
        command = [bentoml, "serve", bento, "--host", "127.0.0.1", "--port", port]
        server = subprocess.Popen(command, start_new_session=True, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        with open(os.environ["FAKE_SERVERS"], "a") as servers:
            servers.write(f"{server.pid}\\n")
    while True:  # forwarding, until the smoke test's trap stops it
        time.sleep(60)
"""


# GitHub's answers, recorded by the test, and its deployments, which the calls add to.
FAKE_GH = """
import json, os, sys
args = sys.argv[1:]
record = {"tool": "gh", "args": args}
if "--input" in args:
    record["input"] = json.load(open(args[args.index("--input") + 1]))
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
github = json.load(open(os.environ["FAKE_GITHUB"]))
path = next((arg for arg in args if arg.startswith("repos/")), "")
fields = dict(args[i + 1].split("=", 1) for i, arg in enumerate(args) if arg == "-f")
deployments = github.setdefault("deployments", [])
by_id = {str(deployment["id"]): deployment for deployment in deployments}
if args[:2] == ["attestation", "verify"]:
    if any(digest in args[2] for digest in github.get("unattested", [])):
        sys.exit("Error: no matching attestations found")
elif path.endswith("/deployments") and "POST" in args:
    n = len(deployments)
    deployment = {**record["input"], "id": 100 + n, "created_at": f"2026-12-06T10:{n:02}:00Z"}
    deployments.insert(0, {**deployment, "statuses": []})
    print(json.dumps(deployment))
elif path.endswith("/statuses") and "POST" in args:
    by_id[path.split("/")[-2]]["statuses"].insert(0, fields)
    print("{}")
elif "/statuses?" in path:
    print(json.dumps(by_id[path.split("/deployments/")[1].split("/")[0]]["statuses"]))
elif "/deployments?" in path:
    print(json.dumps([{k: v for k, v in d.items() if k != "statuses"} for d in deployments]))
elif path.endswith("/pulls"):
    print(json.dumps(github["pulls"]))
elif path.endswith("/check-runs"):
    print(json.dumps({"check_runs": github["check_runs"]}))
elif "/actions/jobs/" in path:
    print(json.dumps(github["jobs"][path.rsplit("/", 1)[1]]))
elif "/actions/runs/" in path:
    print(json.dumps(github["runs"][path.rsplit("/", 1)[1]]))
elif path.endswith("/commits/main"):  # --jq .sha
    print(github.get("main_head") or os.environ["GITHUB_SHA"])
elif args[:2] == ["release", "view"]:  # no Release of this commit yet
    sys.exit("release not found")
json.dump(github, open(os.environ["FAKE_GITHUB"], "w"))
"""
MERGED_AND_REVIEWED = "merged-and-reviewed"


def github_answers(sha: str, story: str) -> dict[str, Any]:
    """What GitHub's API says about a commit on main: how it got there, and its review (a
    check run, the Actions job behind it, and that job's workflow run)."""
    pull = {"number": 12, "merged_at": "2026-12-01T10:00:00Z", "merge_commit_sha": sha,
            "head": {"sha": "f" * 40}}  # fmt: skip

    def check(id_: int, app: str = "github-actions") -> dict[str, Any]:
        return {"id": id_, "name": "Reproduce and review the model", "status": "completed",
                "conclusion": "success", "app": {"slug": app}}  # fmt: skip

    jobs = {"901": {"run_id": 77}, "902": {"run_id": 78}}
    runs = {
        "77": {"path": ".github/workflows/pr-review.yml"},
        "78": {"path": ".github/workflows/looks-like-a-review.yml"},  # the PR's own workflow
    }
    reviewed = {"pulls": [pull], "jobs": jobs, "runs": runs}
    return {
        MERGED_AND_REVIEWED: {**reviewed, "check_runs": [check(901)]},
        "pushed-directly": {"pulls": [], "check_runs": []},
        # A green check of the review's name, from a workflow the PR added, or from a token.
        "green-from-another-workflow": {**reviewed, "check_runs": [check(902)]},
        "green-from-another-app": {**reviewed, "check_runs": [check(903, app="some-bot")]},
    }[story]


def install_fakes(bin_dir: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name, source in (
        ("docker", FAKE_DOCKER),
        ("kubectl", FAKE_KUBECTL),
        ("kustomize", FAKE_KUSTOMIZE),
        ("gh", FAKE_GH),
    ):
        script = bin_dir / name
        script.write_text(f"#!{sys.executable}\n{source}")
        script.chmod(0o755)


def calls(log: Path, tool: str) -> list[dict[str, Any]]:
    lines = log.read_text().splitlines() if log.exists() else []
    return [record for line in lines if (record := json.loads(line))["tool"] == tool]


def stop_servers(pids: Path) -> None:
    """The bento servers the fake port-forward started: stop their process groups."""
    for pid in pids.read_text().split() if pids.exists() else []:
        stop_group(int(pid))


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Path:
    """main after a reviewed merge (the default options: deploy to Kubernetes, monitoring):
    pipeline run, committed, outputs pushed to the remote."""
    return copy_main(shared_main("classification"), tmp_path_factory.mktemp("release-origin"))


def fresh_clone(origin: Path, target: Path) -> Path:
    """What actions/checkout gives: the commit, without the data (DVC brings it), plus the
    setup cache's .venv, which the workflow's own setup step syncs."""
    return working_copy(origin, target, sync=False)


class Release:
    """One run of release.yml (or another workflow) in a clone, with its stand-ins and their
    records. `after` is an earlier run: its deployment history (a copy), bento store and
    registry carry over, and its bento is the one the fake port-forward serves."""

    def __init__(
        self,
        ci: Path,
        scratch: Path,
        rollout_failures: int = 0,
        story: str = MERGED_AND_REVIEWED,
        ref: str = "refs/heads/main",
        after: Release | None = None,
        workflow: str = "release.yml",
        inputs: dict[str, str] | None = None,
        tracking_uri: str = "",
    ) -> None:
        self.ci, self.log, self.artifacts = ci, scratch / "fakes.jsonl", scratch / "artifacts"
        # Runs after another share its bento server (and port): the release fixture stops it.
        self.servers = after.servers if after else scratch / "servers"
        self.port = after.port if after else free_port()
        self.shared = after is not None
        self.registry = after.registry if after else scratch / "registry.db"
        self.home = after.home if after else scratch / "bentoml"
        self.sha = sh(["git", "rev-parse", "HEAD"], ci).stdout.strip()
        self.bento = after.bento if after else self.sha  # the one bento the build made
        (scratch / "rollout-failures").write_text(str(rollout_failures))
        install_fakes(scratch / "bin")
        self.sha = sh(["git", "rev-parse", "HEAD"], ci).stdout.strip()
        self.attested: list[dict[str, str]] = []
        self.github = scratch / "github.json"
        history = json.loads(after.github.read_text()) if after else {}
        self.github.write_text(json.dumps({**history, **github_answers(self.sha, story)}))
        self.run = WorkflowRun(
            workflow=ci / ".github/workflows" / workflow,
            workdir=ci,
            github={
                "repository": REPOSITORY,
                "sha": self.sha,
                "ref": ref,
                "event_name": "workflow_dispatch" if inputs else "push",
                "actor": "octocat",
                "token": "stand-in-token",
                "workflow": "Release",
            },
            inputs=inputs or {},
            handlers={
                "actions/checkout@": checkout(),
                "./.github/actions/setup": setup(ci),
                # The local-directory remote is reachable here: what OIDC grants on GitHub.
                "./.github/actions/remote-auth": lambda step: {"configured": "true"},
                **Artifacts(ci, self.artifacts).handlers(),
                "docker/login-action@": self.login,
                "anchore/sbom-action@": self.sbom,
                "actions/attest-build-provenance@": self.attest,
                "actions/attest-sbom@": self.attest,
            },
            variables={"MLFLOW_TRACKING_URI": tracking_uri or f"sqlite:///{self.registry}"},
            secrets={"GITHUB_TOKEN": "stand-in-token", "KUBECONFIG": KUBECONFIG},
            env={
                **project_env(),
                "PATH": f"{scratch / 'bin'}:{project_env()['PATH']}",
                "GITHUB_SHA": self.sha,
                "GITHUB_REPOSITORY": REPOSITORY,
                "GITHUB_RUN_ID": RUN_ID,
                "BENTOML_HOME": str(self.home),
                "BENTOML_DO_NOT_TRACK": "true",
                "SMOKE_PORT": str(self.port),
                "FAKE_LOG": str(self.log),
                "FAKE_GITHUB": str(self.github),
                "FAKE_PACKAGE": PACKAGE,
                "FAKE_BENTO_VERSION": self.bento,
                "FAKE_SERVERS": str(self.servers),
                "FAKE_ROLLOUT_FAILURES": str(scratch / "rollout-failures"),
                "REAL_KUBECTL": REAL_KUBECTL or "",
            },
        )

    def login(self, step: StepContext) -> dict[str, str]:
        assert step.inputs == {
            "registry": "ghcr.io",
            "username": "octocat",
            "password": "stand-in-token",
        }
        return {}

    def sbom(self, step: StepContext) -> dict[str, str]:
        """syft needs the registry: the stand-in writes an SBOM file where the step says."""
        target = self.ci / step.inputs["output-file"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps({"spdxVersion": "SPDX-2.3", "name": step.inputs["image"]}))
        return {}

    def attest(self, step: StepContext) -> dict[str, str]:
        self.attested.append({"uses": step.uses, **step.inputs})
        return {
            "attestation-url": f"https://github.com/{REPOSITORY}/attestations/{len(self.attested)}"
        }

    def execute(
        self, only_deploy_with: dict[str, Any] | None = None, keep_serving: bool = False
    ) -> Release:
        if only_deploy_with is not None:  # the deploy job alone, after a given build
            del self.run.spec["jobs"]["build"]
            self.run.jobs["build"] = {"result": "success", "outputs": only_deploy_with}
        try:
            self.run.run()
        finally:
            if not (keep_serving or self.shared):
                stop_servers(self.servers)
        return self


@pytest.fixture(scope="module")
def release(origin: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Release]:
    """Release 1. Its bento server stays up for the later runs that deploy after it."""
    scratch = tmp_path_factory.mktemp("release")
    first = Release(fresh_clone(origin, scratch / "ci"), scratch)
    try:
        yield first.execute(keep_serving=True)
    finally:
        stop_servers(first.servers)


def test_merge_ships_the_reviewed_model_to_production(release: Release, origin: Path) -> None:
    run = release.run
    assert run.jobs["build"]["result"] == "success", run.transcript()
    assert run.jobs["deploy"]["result"] == "success", run.transcript()
    md5 = reviewed_md5(origin)
    assert (
        "is PR #12, reviewed and merged"
        in run.step("Check this commit is a merged PR whose review passed").stdout
    )
    retrained = run.step("Retrain and evaluate from the data, code and params (nothing restored)")
    assert "Running stage 'train'" in retrained.stdout, run.transcript()
    same = run.step("Check main's pipeline gives the md5 the merged review reproduced")
    assert "exactly what CI reproduced" in same.stdout
    assert run.step("Push the data, model and run-cache that main produced").outcome == "success"
    verified = run.step("Check this commit holds the reviewed model")
    assert f"is the reviewed model (md5 {md5}); dvc status is clean" in verified.stdout
    built = run.step("Build the bento")
    assert "Running stage" not in built.stdout + built.stderr
    assert f'Bento(tag="{PACKAGE}:{release.sha}")' in built.stdout.replace("\n", "")
    assert (release.artifacts / "bento" / "bento.bento").stat().st_size > 0


def test_champion_alias_points_at_the_shipped_model(release: Release, origin: Path) -> None:
    assert release.run.step("Register the model in MLflow and point @champion at it").outcome == (
        "success"
    ), release.run.transcript()
    with sqlite3.connect(release.registry) as db:
        aliases = db.execute("select name, alias, version from registered_model_aliases").fetchall()
        tags = dict(
            db.execute(
                "select key, value from model_version_tags where name = ? and version = ?",
                (PACKAGE, aliases[0][2]),
            ).fetchall()
        )
    assert aliases == [(PACKAGE, "champion", aliases[0][2])]
    assert tags["dvc_md5"] == reviewed_md5(origin)
    assert tags["git_sha"] == release.sha


def test_release_publishes_a_model_card_whose_numbers_are_metrics_json(release: Release) -> None:
    """The build job writes and checks the card; the announce job, the only one whose token
    may write to the repository, attaches that very file to the commit's GitHub Release."""
    for name in (
        "Write the model card (fails if a number is not metrics.json's) and attach it to the "
        "MLflow version",
        "Publish the model card with a GitHub Release",
    ):
        assert release.run.step(name).outcome == "success", release.run.transcript()
    card = "build/release/model_card.md"
    rows = (release.ci / card).read_text().splitlines()
    metrics = json.loads((release.ci / "metrics.json").read_text())
    fairness = metrics.pop("fairness")
    for name, value in metrics.items():
        assert f"| {name} | {value:.4f} |" in rows
    for feature, found in fairness.items():
        for name, value in found.items():
            if name != "groups":
                assert f"| {name} | {value:.4f} |" in rows, f"{feature}: {name}"
        for group, scores in found["groups"].items():
            assert any(row.startswith(f"| {group} | {scores['rows']} | ") for row in rows)
    tag = f"release-{release.sha[:12]}"
    gh = [record["args"] for record in calls(release.log, "gh")]
    created = [args for args in gh if args[:3] == ["release", "create", tag]]
    assert created == [[
        "release", "create", tag, card, "--target", release.sha,
        "--title", f"{PACKAGE} {release.sha[:12]}", "--notes-file", card,
    ]]  # fmt: skip
    with sqlite3.connect(release.registry) as db:
        attached = db.execute(
            "select t.value, v.run_id from model_version_tags t join model_versions v"
            " on t.name = v.name and t.version = v.version where t.key = 'model_card'"
        ).fetchall()
    assert [value for value, run_id in attached] == [
        f"runs:/{run_id}/model_card/model_card.md" for _, run_id in attached
    ]
    assert len(attached) == 1


def test_image_is_built_from_the_bento_pushed_by_sha_and_output_by_digest(
    release: Release, origin: Path
) -> None:
    docker = calls(release.log, "docker")
    commands = [record["args"][0] for record in docker if record["args"][0] != "version"]
    assert commands == ["build", "push"]
    build, push = docker[-2], docker[-1]
    assert build["args"][2] == f"{IMAGE}:{release.sha}"
    assert "env/docker/Dockerfile" in build["context"]
    assert f"models/{PACKAGE}/{reviewed_md5(origin)}/model.skops" in build["context"]
    assert push["args"][-1] == f"{IMAGE}:{release.sha}"
    outputs = release.run.jobs["build"]["outputs"]
    assert outputs["image"].startswith(f"{IMAGE}@sha256:") and len(outputs["digest"]) == 71
    assert outputs["image"].endswith(outputs["digest"])


def test_deploy_applies_the_image_by_digest_and_smoke_tests_it(release: Release) -> None:
    image = release.run.jobs["build"]["outputs"]["image"]
    kustomization = yaml.safe_load(
        (release.ci / "deploy/kubernetes/kustomization.yaml").read_text()
    )
    new_name, digest = image.split("@")
    assert {"name": SLUG, "newName": new_name, "digest": digest} in kustomization["images"]

    kubectl = calls(release.log, "kubectl")
    verbs = [record["args"][0] for record in kubectl]
    assert verbs == ["apply", "rollout", "port-forward"]
    assert kubectl[0]["args"] == ["apply", "-k", "deploy/kubernetes"]
    assert kubectl[1]["args"] == ["rollout", "status", f"deployment/{SLUG}", "--timeout=300s"]
    assert all(record["kubeconfig"].strip() == KUBECONFIG.strip() for record in kubectl)
    if REAL_KUBECTL:  # what was applied, rendered by the real kustomize
        assert f"image: {image}" in kubectl[0]["applied"]
    smoke = release.run.step("Smoke-test /readyz and one prediction")
    assert "is ready and predicts" in smoke.stdout, release.run.transcript()
    assert release.run.step("Roll back to the previous revision (the job still fails)").outcome == (
        "skipped"
    )


def deployments(run: Release) -> list[dict[str, Any]]:
    """The deployment records GitHub holds after the run, newest first, with their statuses."""
    return json.loads(run.github.read_text())["deployments"]


def digest_image(hex_digit: str) -> dict[str, str]:
    """Build outputs of another image (a later build of the same bento)."""
    digest = f"sha256:{hex_digit * 64}"
    return {"image": f"{IMAGE}@{digest}", "digest": digest}


def test_a_release_is_recorded_as_a_production_deployment(release: Release, origin: Path) -> None:
    outputs = release.run.jobs["build"]["outputs"]
    assert outputs["model-version"].isdigit(), "promote names the version it made @champion"
    (record,) = deployments(release)
    assert record["environment"] == "production" and record["ref"] == release.sha
    assert record["auto_merge"] is False and record["required_contexts"] == []
    assert record["payload"] == {
        "image": outputs["image"],
        "digest": outputs["digest"],
        "git_sha": release.sha,
        "model_md5": reviewed_md5(origin),
        "mlflow_model_version": outputs["model-version"],
        "attestation": f"https://github.com/{REPOSITORY}/attestations/1",
        "pull_request": 12,
        "deploy_target": "kubernetes",
    }
    assert record["statuses"] == [
        {"state": "success", "description": "deployed to kubernetes", "log_url": LOG_URL},
        {"state": "in_progress", "description": f"release of {release.sha[:12]}",
         "log_url": LOG_URL},
    ]  # fmt: skip


def test_failed_rollout_is_rolled_back_and_fails_the_deploy(
    release: Release, tmp_path: Path
) -> None:
    """A later image whose rollout fails: the cluster is undone, then the release goes back to
    the last good one as a rollback does (attested, deployed by digest, smoke-tested), and
    both the failure and the rollback are recorded."""
    first = release.run.jobs["build"]["outputs"]
    failed = Release(release.ci, tmp_path, rollout_failures=1, after=release)
    failed.execute(only_deploy_with={**first, **digest_image("e")})
    assert failed.run.jobs["deploy"]["result"] == "failure", failed.run.transcript()
    undo = "Roll back to the previous revision (the job still fails)"
    assert [r.outcome for r in failed.run.results if r.name == undo] == ["success", "skipped"]
    verbs = [record["args"][:2] for record in calls(failed.log, "kubectl")]
    assert verbs == [
        ["apply", "-k"],
        ["rollout", "status"],
        ["rollout", "undo"],
        ["rollout", "status"],
        ["apply", "-k"],  # the last good release, by digest
        ["rollout", "status"],
        ["port-forward", f"service/{SLUG}"],
    ], failed.run.transcript()
    back = failed.run.step("Deploy the release to return to, by digest")
    assert back.outcome == "success" and "is ready and predicts" in back.stdout
    kustomization = yaml.safe_load(
        (release.ci / "deploy/kubernetes/kustomization.yaml").read_text()
    )
    assert kustomization["images"][-1]["digest"] == first["digest"]
    rollback, bad, good = deployments(failed)
    assert [s["state"] for s in bad["statuses"]] == ["failure", "in_progress"]
    assert bad["payload"]["digest"] == digest_image("e")["digest"]
    assert rollback["payload"] == {
        **good["payload"],
        "rollback_of": bad["id"],
        "reason": f"the rollout of {release.sha} failed",
    }
    assert rollback["statuses"][0] == {
        "state": "success", "description": "rollback: deployed to kubernetes", "log_url": LOG_URL
    }  # fmt: skip
    verified = [r["args"][2] for r in calls(failed.log, "gh") if r["args"][1:2] == ["verify"]]
    assert verified == [f"oci://{digest_image('e')['image']}", f"oci://{first['image']}"]


# Release 2's promote step, in short: another registered version of the same model file (its
# run's), tagged as promote tags it, made @champion.
SECOND_VERSION = """
import sys, mlflow
name, first = sys.argv[1], sys.argv[2]
client = mlflow.MlflowClient()
model = client.get_model_version(name, first)
second = client.create_model_version(name, model.source, model.run_id)
client.set_model_version_tag(name, second.version, "dvc_md5", model.tags["dvc_md5"])
client.set_registered_model_alias(name, "champion", second.version)
print(second.version)
"""


@pytest.fixture(scope="module")
def tracking_server(release: Release, tmp_path_factory: pytest.TempPathFactory):
    """A real `mlflow server` over the release's registry; started now, waited for by its user."""
    root, port = tmp_path_factory.mktemp("mlflow-server"), free_port()
    command = [str(release.ci / ".venv/bin/mlflow"), "server", "--workers", "1",
               "--host", "127.0.0.1", "--port", str(port),
               "--backend-store-uri", f"sqlite:///{release.registry}",
               "--artifacts-destination", str(root / "artifacts")]  # fmt: skip
    env = {**project_env(), "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    server = start_server(command, root, env, root / "server.log")
    yield server, f"http://127.0.0.1:{port}", root / "server.log"
    stop(server)


@pytest.fixture(scope="module")
def second_release(
    release: Release,
    origin: Path,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> Release:
    """Another merge after release 1, deployed: its deploy job, given a build of another digest
    whose promote made a second registered version @champion. The tracking server starts
    once that version is written, and gets ready while release 2 deploys."""
    scratch = tmp_path_factory.mktemp("second-release")
    ci = fresh_clone(origin, scratch / "ci")
    sh(["git", "commit", "-q", "--no-verify", "--allow-empty", "-m", "main: a second merge"], ci)
    first = release.run.jobs["build"]["outputs"]
    env = {**project_env(), "MLFLOW_TRACKING_URI": f"sqlite:///{release.registry}"}
    python = ["uv", "run", "--locked", "python", "-c", SECOND_VERSION, PACKAGE]
    version = sh([*python, first["model-version"]], release.ci, env=env).stdout.split()[-1]
    request.getfixturevalue("tracking_server")
    second = Release(ci, scratch, after=release)
    second.execute(only_deploy_with={**first, **digest_image("2"), "model-version": version})
    assert second.run.jobs["deploy"]["result"] == "success", second.run.transcript()
    return second


def rollback(after: Release, scratch: Path, tracking_uri: str = "", **inputs: str) -> Release:
    """rollback.yml dispatched on main (after's checkout), with the given inputs."""
    run = Release(after.ci, scratch, after=after, workflow="rollback.yml",
                  inputs={"to": "", "reason": "", **inputs}, tracking_uri=tracking_uri)  # fmt: skip
    return run.execute()


def test_two_releases_then_a_rollback_to_the_first(
    release: Release, second_release: Release, tracking_server, tmp_path: Path
) -> None:
    server, url, log = tracking_server
    wait_ready(url, server, log, timeout=120, path="/health")
    back = rollback(second_release, tmp_path, tracking_uri=url, reason="p95 latency doubled")
    assert back.run.jobs["rollback"]["result"] == "success", back.run.transcript()
    first, second = deployments(release)[0], deployments(second_release)[0]
    api = [r["args"] for r in calls(back.log, "gh") if r["args"][0] == "api"]
    records = "repos/{owner}/{repo}/deployments"
    assert api == [
        ["api", f"{records}?environment=production&per_page=30"],
        ["api", f"{records}/{second['id']}/statuses?per_page=1"],
        ["api", f"{records}/{first['id']}/statuses?per_page=1"],
        ["api", "--method", "POST", records, "--input", api[3][-1]],
        ["api", "--method", "POST", f"{records}/102/statuses", "-f", "state=in_progress",
         "-f", f"description=rollback to {release.sha[:12]}: p95 latency doubled",
         "-f", f"log_url={LOG_URL}"],
        ["api", "--method", "POST", f"{records}/102/statuses", "-f", "state=success",
         "-f", "description=rollback: deployed to kubernetes", "-f", f"log_url={LOG_URL}"],
    ], back.run.transcript()  # fmt: skip
    posted = next(r["input"] for r in calls(back.log, "gh") if "input" in r)
    assert posted == {
        "environment": "production",
        "ref": release.sha,
        "auto_merge": False,
        "required_contexts": [],
        "payload": {**first["payload"], "rollback_of": second["id"],
                    "reason": "p95 latency doubled"},
        "description": f"rollback to {release.sha[:12]}: p95 latency doubled",
    }  # fmt: skip
    verify = [
        r["args"] for r in calls(back.log, "gh") if r["args"][:2] == ["attestation", "verify"]
    ]
    assert verify[0][2] == f"oci://{first['payload']['image']}"
    assert verify[0][verify[0].index("--source-digest") + 1] == release.sha
    assert (
        "is ready and predicts"
        in back.run.step("Deploy the release to return to, by digest").stdout
    )
    kustomization = yaml.safe_load(
        (second_release.ci / "deploy/kubernetes/kustomization.yaml").read_text()
    )
    assert kustomization["images"][-1]["digest"] == first["payload"]["digest"]
    assert not calls(back.log, "docker"), "a rollback never rebuilds"
    with sqlite3.connect(release.registry) as db:
        (champion,) = db.execute("select version from registered_model_aliases").fetchone()
    assert str(champion) == first["payload"]["mlflow_model_version"]
    moved = back.run.step("Move @champion back and record the rollback's outcome").stdout
    assert f"version {champion} is @champion again" in moved
    assert second["payload"]["mlflow_model_version"] != str(champion)
    listed = sh(["make", "deployments"], second_release.ci, env=back.run.env).stdout
    rows = [line for line in listed.splitlines() if line.startswith("| 2026-")]
    assert len(rows) == 3 and "rollback of 101: p95 latency doubled" in rows[0], listed


def test_a_rollback_to_an_unattested_image_is_refused(
    release: Release, second_release: Release, tmp_path: Path
) -> None:
    github = json.loads(second_release.github.read_text())
    first = deployments(release)[0]["payload"]
    github["unattested"] = [first["digest"]]
    second_release.github.write_text(json.dumps(github))
    try:
        back = rollback(second_release, tmp_path, reason="try an unattested image")
    finally:
        github.pop("unattested")
        second_release.github.write_text(json.dumps(github))
    run = back.run
    assert run.jobs["rollback"]["result"] == "failure"
    step = run.step("Verify its image was built by main's release workflow")
    assert step.outcome == "failure" and "no matching attestations" in step.stderr
    assert run.step("Deploy the release to return to, by digest").outcome == "skipped"
    assert not calls(back.log, "kubectl")
    assert deployments(back) == deployments(second_release), "no record was written"


def test_a_commit_whose_pipeline_was_not_reviewed_is_not_shipped(
    origin: Path, tmp_path: Path
) -> None:
    ci = fresh_clone(origin, tmp_path / "ci")
    params = ci / "params.yaml"
    params.write_text(params.read_text().replace("n_estimators: 100", "n_estimators: 50"))
    commit_all(ci, "main: params changed without running the pipeline")
    release = Release(ci, tmp_path).execute()
    run = release.run
    check = run.step("Check main's pipeline gives the md5 the merged review reproduced")
    assert check.outcome == "failure", run.transcript()
    assert "models/model.skops: committed md5" in check.stderr
    assert "Traceback" not in check.stderr
    assert run.step("Push the data, model and run-cache that main produced").outcome == "skipped"
    assert run.step("Build the bento").outcome == "skipped"
    assert run.jobs["deploy"]["result"] == "skipped"
    assert not calls(release.log, "docker")


def test_build_job_pushes_with_its_own_token_only(origin: Path) -> None:
    workflow = yaml.safe_load((origin / ".github/workflows/release.yml").read_text())
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    assert workflow["permissions"] == {"contents": "read"}
    assert build["permissions"]["packages"] == "write"
    assert deploy["permissions"].get("packages") in (None, "read")  # reads attestations only
    assert deploy["environment"]["name"] == "production"
    assert workflow["concurrency"]["cancel-in-progress"] is False
    # One job may write to the repository (the model card's Release), and it runs neither a
    # third-party action nor the project's Python: checkout, the card artifact, gh.
    jobs = workflow["jobs"]
    writers = [name for name, job in jobs.items() if job["permissions"].get("contents") == "write"]
    assert writers == ["announce"]
    announce = jobs["announce"]
    assert set(announce["needs"]) == {"build", "deploy"}
    uses = [step["uses"].split("@")[0] for step in announce["steps"] if "uses" in step]
    assert uses == ["actions/checkout", "actions/download-artifact"]
    assert [step["run"] for step in announce["steps"] if "run" in step] == ["make github-release"]


@pytest.mark.skipif(REAL_KUBECTL is None, reason="kubectl is needed to render the kustomize base")
def test_kustomize_base_renders_and_validates_against_the_kubernetes_schemas(
    origin: Path,
) -> None:
    import kubernetes_validate

    rendered = subprocess.run(
        [REAL_KUBECTL or "kubectl", "kustomize", str(origin / "deploy/kubernetes")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    objects = {doc["kind"]: doc for doc in yaml.safe_load_all(rendered)}
    assert set(objects) == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ServiceMonitor",
    }
    for kind, doc in objects.items():
        if kind != "ServiceMonitor":  # a CRD: no schema ships with Kubernetes
            kubernetes_validate.validate(doc, kubernetes_validate.latest_version(), strict=True)
    pod = objects["Deployment"]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert pod["metadata"]["annotations"]["prometheus.io/scrape"] == "true"
    assert container["resources"]["limits"] and container["resources"]["requests"]
    volumes = pod["spec"]["volumes"]
    assert volumes and all(volume["emptyDir"]["sizeLimit"] for volume in volumes)
    selector = objects["ServiceMonitor"]["spec"]["selector"]["matchLabels"]
    assert selector.items() <= objects["Service"]["metadata"]["labels"].items()


def test_provenance_and_sbom_are_attested_for_the_pushed_digest(release: Release) -> None:
    outputs = release.run.jobs["build"]["outputs"]
    name, digest = outputs["image"].split("@")
    assert [entry["uses"].split("@")[0] for entry in release.attested] == [
        "actions/attest-build-provenance",
        "actions/attest-sbom",
    ]
    for entry in release.attested:
        assert (entry["subject-name"], entry["subject-digest"]) == (name, digest)
        assert entry["push-to-registry"] == "true"
    assert release.attested[1]["sbom-path"] == "build/sbom.spdx.json"
    verify = [
        r["args"] for r in calls(release.log, "gh") if r["args"][:2] == ["attestation", "verify"]
    ]
    assert verify == [[
        "attestation", "verify", f"oci://{outputs['image']}", "--repo", REPOSITORY,
        "--cert-identity",
        f"https://github.com/{REPOSITORY}/.github/workflows/release.yml@refs/heads/main",
        "--source-ref", "refs/heads/main", "--source-digest", release.sha,
        "--deny-self-hosted-runners",
    ]]  # fmt: skip
    steps = [step.name for step in release.run.results if step.job == "deploy"]
    assert steps.index("Verify the image was built by this repository's release workflow") < (
        steps.index("Deploy the image by digest")
    )


def test_a_direct_push_to_main_with_a_planted_model_is_refused_before_anything_is_built(
    origin: Path, tmp_path: Path
) -> None:
    """No PR, so no review: a self-consistent lock and model pushed straight to main."""
    ci = fresh_clone(origin, tmp_path / "ci")
    params = ci / "params.yaml"
    params.write_text(params.read_text().replace("n_estimators: 100", "n_estimators: 5"))
    sh(["make", "setup"], ci)
    sh(["make", "pull-data"], ci)
    sh(["make", "pipeline"], ci)
    commit_all(ci, "main: planted model, no pull request")
    release = Release(ci, tmp_path, story="pushed-directly").execute()
    run = release.run
    proof = run.step("Check this commit is a merged PR whose review passed")
    assert proof.outcome == "failure", run.transcript()
    assert f"commit {release.sha[:12]} did not come from a merged pull request" in proof.stderr
    assert run.step("Pull the raw data (never a stage output)").outcome == "skipped"
    assert run.step("Build the bento").outcome == "skipped"
    assert run.jobs["deploy"]["result"] == "skipped"
    assert not calls(release.log, "docker")


def test_a_dispatch_on_another_branch_builds_nothing(origin: Path, tmp_path: Path) -> None:
    ci = fresh_clone(origin, tmp_path / "ci")
    release = Release(ci, tmp_path, ref="refs/heads/feature").execute()
    assert release.run.jobs["build"]["result"] == "skipped"
    assert release.run.jobs["deploy"]["result"] == "skipped"
    assert not [step for step in release.run.results if step.outcome != "skipped"]
    assert not calls(release.log, "docker") and not calls(release.log, "gh")


def test_a_rerun_of_an_old_release_refuses_to_deploy(origin: Path, tmp_path: Path) -> None:
    """Re-running an old Release run would roll production back to its commit: the deploy
    job first asks GitHub for main's head, and stops when main has moved on."""
    install_fakes(tmp_path / "bin")
    old, head = "a" * 40, "b" * 40
    (tmp_path / "github.json").write_text(json.dumps({"main_head": head}))
    env = {
        **project_env(),
        "PATH": f"{tmp_path / 'bin'}:{project_env()['PATH']}",
        "GITHUB_REPOSITORY": REPOSITORY,
        "FAKE_LOG": str(tmp_path / "fakes.jsonl"),
        "FAKE_GITHUB": str(tmp_path / "github.json"),
    }
    stale = sh(["make", "verify-head"], origin, env={**env, "GITHUB_SHA": old}, check=False)
    assert stale.returncode != 0
    assert f"main has moved on to {head}" in stale.stderr
    current = sh(["make", "verify-head"], origin, env={**env, "GITHUB_SHA": head})
    assert f"{head} is main's head" in current.stdout
    asked = [record["args"] for record in calls(tmp_path / "fakes.jsonl", "gh")]
    assert asked[0][:2] == ["api", f"repos/{REPOSITORY}/commits/main"]


@pytest.mark.parametrize("story", ["green-from-another-workflow", "green-from-another-app"])
def test_a_review_check_not_from_pr_review_yml_proves_nothing(
    origin: Path, tmp_path: Path, story: str
) -> None:
    """Any workflow the PR adds, or any app or token, can post a check run named like the
    review's: only pr-review.yml's job, run by GitHub Actions, proves a review."""
    ci = fresh_clone(origin, tmp_path / "ci")
    release = Release(ci, tmp_path, story=story).execute()
    run = release.run
    proof = run.step("Check this commit is a merged PR whose review passed")
    assert proof.outcome == "failure", run.transcript()
    assert "came from PR #12, whose review check" in proof.stderr and "never ran" in proof.stderr
    assert run.step("Build the bento").outcome == "skipped"
    assert run.jobs["deploy"]["result"] == "skipped"


# A version registered by someone with write access to the tracking server, tagged with the
# reviewed md5 (public in dvc.lock), holding another model saved as a pickle.
PLANTED = """
import sys, mlflow, numpy as np
from sklearn.dummy import DummyClassifier
mlflow.set_experiment(sys.argv[2])
with mlflow.start_run():
    model = DummyClassifier().fit(np.zeros((4, 1)), [0, 1, 0, 1])
    info = mlflow.sklearn.log_model(model, name="model", registered_model_name=sys.argv[2])
client = mlflow.MlflowClient()
client.set_model_version_tag(sys.argv[2], info.registered_model_version, "dvc_md5", sys.argv[1])
print(info.registered_model_version)
"""
CHAMPION = """
import sys, mlflow
print(mlflow.MlflowClient().get_model_version_by_alias(sys.argv[1], "champion").version)
"""


def test_promotion_trusts_no_tag_only_the_reviewed_file(origin: Path, tmp_path: Path) -> None:
    ci = fresh_clone(origin, tmp_path / "ci")
    sh(["make", "setup"], ci)
    sh(["make", "pull-data"], ci)
    env = {**project_env(), "MLFLOW_TRACKING_URI": f"sqlite:///{tmp_path / 'registry.db'}"}
    python = ["uv", "run", "--locked", "python", "-c"]
    planted = sh([*python, PLANTED, reviewed_md5(ci), PACKAGE], ci, env=env).stdout.split()[-1]
    promoted = sh(["make", "promote"], ci, env=env)
    champion = sh([*python, CHAMPION, PACKAGE], ci, env=env).stdout.split()[-1]
    assert champion != planted, "the tag alone moved @champion to an unreviewed model"
    assert f"version {champion} is now @champion" in promoted.stdout
    # A re-run reuses the version the release registered: its artifacts prove it.
    again = sh(["make", "promote"], ci, env=env)
    assert f"version {champion} is now @champion" in again.stdout
