"""The release image and its monitoring, for real: `make image` builds a generated project's
image against a Docker engine, the container runs as deploy/kubernetes/deployment.yaml runs
it (read from that file, so the two cannot drift apart), and a real Prometheus scrapes it
with the scrape configuration and alert rules the project ships.

One image per session: the build is the slow part (about a minute with a warm engine). It is
built FROM the base image by digest, as the project pins it, from a real registry on loopback
(Docker Hub's digest cannot name this machine's stand-in base image).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.projects import DRIFT_WINDOWS, copy_main, package_name, sh
from support.real_services import (
    deployment_run_options,
    push_by_digest,
    query,
    require_docker,
    start_prometheus,
    start_pushgateway,
    start_registry,
)
from support.servers import answers_200, free_port, request, stop
from support.service_calls import (
    column_of_kind,
    in_process,
    predict,
    records_body,
    served_env,
    valid_record,
)
from support.tools import tool
from support.waiting import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("image")]

MAX_IMAGE_BYTES = 600_000_000
BUILD_TOOLS = ("gcc", "cc", "g++", "make", "git")
READY_TIMEOUT_SECONDS = 90
WINDOWS = DRIFT_WINDOWS


@dataclass
class Built:
    project: Path
    env: dict[str, str]
    image: str
    base: str  # the base image by digest: registry/python@sha256:...
    build_seconds: float
    expected: dict[str, Any]  # {"records": [...], "predictions": [...]}


@dataclass
class Running:
    built: Built
    name: str
    url: str
    ready_seconds: float
    grace_seconds: int


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory, shared_main) -> tuple[Path, dict[str, str]]:
    """A copy of main (pipeline run and committed), bentos in a store of its own."""
    root = tmp_path_factory.mktemp("image")
    return copy_main(shared_main("classification"), root), served_env(root)


@pytest.fixture(scope="session")
def built(trained: tuple[Path, dict[str, str]], tmp_path_factory) -> Iterator[Built]:
    """`make bento BASE_IMAGE=<digest>` then `make image`, once per session; the image, and the
    base's registry tags, are removed afterwards."""
    require_docker()
    project, env = trained
    version = (project / ".python-version").read_text().strip()
    registry, address = start_registry(tmp_path_factory.mktemp("registry"))
    image = f"{package_name(project)}:test-{os.getpid()}"
    try:
        base = push_by_digest(f"python:{version}-slim", address)
        sh(["make", "bento", f"BASE_IMAGE={base}"], project, env=env)
        start = time.monotonic()
        make_image = ["make", "image", f"IMAGE={image}", "IMAGE_BUILD_OPTS=--opt network=host"]
        sh(make_image, project, env=env, timeout=1800)
        build_seconds = time.monotonic() - start
        yield Built(project, env, image, base, build_seconds, in_process(project, env))
    finally:
        stop(registry)
        subprocess.run(["docker", "rmi", "-f", image], capture_output=True)
        # Untags the base (its reference by digest goes with the tag); the base itself stays.
        subprocess.run(["docker", "rmi", f"{address}/python:{version}-slim"], capture_output=True)


@pytest.fixture(scope="module")
def running(built: Built) -> Iterator[Running]:
    """The image run as the Deployment runs it, on a free loopback port (host network)."""
    options, grace = deployment_run_options(built.project / "deploy/kubernetes/deployment.yaml")
    port = free_port()
    name = f"image-test-{os.getpid()}-{port}"
    command = ["docker", "run", "--detach", "--name", name, "--network", "host", *options]
    start = time.monotonic()
    sh([*command, built.image, "--host", "127.0.0.1", "--port", str(port)], built.project)
    url = f"http://127.0.0.1:{port}"
    try:
        ready = wait_container_ready(name, url)
        yield Running(built, name, url, ready - start, grace)
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def wait_container_ready(name: str, url: str) -> float:
    """The monotonic time /readyz first answered 200; fail with the container's log if not."""

    def running() -> bool:
        state = ["docker", "inspect", "-f", "{{.State.Running}}", name]
        return subprocess.run(state, capture_output=True, text=True).stdout.strip() == "true"

    def logs() -> str:
        logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True)
        return (logs.stdout + logs.stderr)[-4000:]

    wait_for(
        lambda: answers_200(f"{url}/readyz"),
        READY_TIMEOUT_SECONDS,
        f"{url}/readyz answering 200",
        interval=0.2,
        alive=running,
        evidence=logs,
    )
    return time.monotonic()


def malformed_payloads(built: Built) -> dict[str, bytes]:
    """Requests a client may get wrong, and the limits the request model enforces."""
    record = valid_record(built)
    number, real, text = (column_of_kind(built, kind) for kind in (int, float, str))
    return {
        "wrong-type": records_body({**record, number: "three"}),
        "text-as-number": records_body({**record, text: 3}),
        "missing-field": records_body({k: v for k, v in record.items() if k != number}),
        "unknown-field": records_body({**record, "surprise": 1}),
        "unknown-top-level-field": records_body(record, extra=1),
        "empty-list": records_body(),
        "no-records": b"{}",
        "records-not-a-list": json.dumps({"records": record}).encode(),
        "invalid-json": b'{"records": [',
        "nan": records_body({**record, real: 1.5}).replace(b"1.5", b"NaN"),
        "infinity": records_body({**record, real: 1.5}).replace(b"1.5", b"Infinity"),
        "integer-beyond-int64": records_body({**record, number: 2**70}),
        "text-beyond-max-length": records_body({**record, text: "x" * 100_000}),
        "beyond-max-batch-size": records_body(*[record] * 1001),
        "not-an-object": b"[]",
    }


def docker_inspect(image: str, template: str) -> str:
    inspect = ["docker", "image", "inspect", "-f", template, image]
    return subprocess.run(inspect, capture_output=True, text=True, check=True).stdout


def image_bytes(image: str) -> int:
    return int(docker_inspect(image, "{{.Size}}"))


def test_image_holds_no_build_tools_and_fits_the_size_budget(built):
    size = image_bytes(built.image)
    probe = " ".join(f"command -v {tool};" for tool in BUILD_TOOLS)
    found = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "/bin/sh", built.image, "-c", probe],
        capture_output=True,
        text=True,
    ).stdout.split()
    print(f"image {size / 1e6:.0f} MB, built in {built.build_seconds:.0f} s")
    assert found == [], f"build tools in the serving image: {found}"
    assert size <= MAX_IMAGE_BYTES, f"{built.image} is {size / 1e6:.0f} MB"


INSTALLED = (
    "import importlib.metadata as m, json; "
    "print(json.dumps({d.metadata['Name']: d.version for d in m.distributions()}))"
)


def normalized(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def test_every_package_in_the_image_has_the_version_in_uv_lock(built):
    """The image is the lock: `make bento` exports uv.lock's exact versions, and the
    image installs exactly those; nothing is resolved anew at build time."""
    found = subprocess.run(
        ["docker", "run", "--rm", "--entrypoint", "python", built.image, "-c", INSTALLED],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {normalized(name): version for name, version in json.loads(found).items()}
    lock = tomllib.loads((built.project / "uv.lock").read_text())
    locked = {normalized(package["name"]): package.get("version") for package in lock["package"]}
    # The base image's own installers, and the project itself, are not the lock's to pin.
    ours = {
        name: v for name, v in installed.items() if name not in {"pip", "setuptools", "wheel", "uv"}
    }
    ours.pop(normalized(built.project.name), None)
    assert {"scikit-learn", "skops", "bentoml", "pandas"} <= set(ours)
    differ = {name: (v, locked.get(name)) for name, v in ours.items() if locked.get(name) != v}
    assert not differ, f"image version vs uv.lock: {differ}"


def bento_dir(built: Built) -> Path:
    path = ["uv", "run", "--locked", package_name(built.project), "bento-path"]
    return Path(sh(path, built.project, env=built.env).stdout.strip())


def requirement_entries(text: str) -> list[str]:
    """A requirements file's entries, each with its continuation lines joined."""
    return [entry for entry in text.replace("\\\n", " ").splitlines() if entry.strip()]


def dockerfile_env(dockerfile: str) -> dict[str, str]:
    """ARG defaults BentoML writes for the bento's envs (each followed by ENV NAME=$NAME)."""
    return dict(re.findall(r"^ARG (\w+)=(\S+)$", dockerfile, re.MULTILINE))


def test_the_image_installs_uv_lock_hash_checked_on_the_base_pinned_by_digest(built):
    """The project pins python:X.Y-slim by digest; the bento's Dockerfile starts FROM the base
    by digest (here the stand-in's, BASE_IMAGE) and installs its requirements with every wheel
    checked against uv.lock's hashes: UV_REQUIRE_HASHES, and the file as its own constraints
    (so BentoML's added bare `bentoml==` line takes the locked hash too)."""
    project = built.project
    version = (project / ".python-version").read_text().strip()
    service = project / "src" / package_name(project) / "serving/service.py"
    default = re.search(r'^BASE_IMAGE = \(\s*"([^"]+)"', service.read_text(), re.MULTILINE)
    pinned = rf"python:{re.escape(version)}-slim@sha256:[0-9a-f]{{64}}"
    assert default and re.fullmatch(pinned, default.group(1)), "the default base is not pinned"
    bento = bento_dir(built)
    dockerfile = (bento / "env/docker/Dockerfile").read_text()
    assert dockerfile.splitlines().count(f"FROM {built.base} AS base-container") == 1
    requirements = "$BENTO_PATH/env/python/requirements.txt"
    install = dockerfile.index(f"pip install -r {requirements}")
    env = dockerfile_env(dockerfile[:install])
    assert env.get("UV_REQUIRE_HASHES") == "1", env
    assert env.get("UV_CONSTRAINT") == requirements.replace("$BENTO_PATH", "/home/bentoml/bento")
    entries = requirement_entries((bento / "env/python/requirements.txt").read_text())
    hashed = {entry.split()[0] for entry in entries if "--hash=sha256:" in entry}
    bare = [entry for entry in entries if "--hash=sha256:" not in entry]
    names = {pin.split("==")[0] for pin in hashed}
    assert len(names) > 50 and {"bentoml", "scikit-learn"} <= names
    assert all(entry.strip() in hashed for entry in bare), f"no locked hash for {bare}"
    # The image was built from those very layers: the base's layers open the image's.
    layers = [
        json.loads(docker_inspect(name, "{{json .RootFS.Layers}}"))
        for name in (built.base, built.image)
    ]
    assert layers[1][: len(layers[0])] == layers[0], "the image is not built on the pinned base"
    config_env = json.loads(docker_inspect(built.image, "{{json .Config.Env}}"))
    assert "UV_REQUIRE_HASHES=1" in config_env


def test_a_wheel_or_pin_uv_lock_does_not_hash_is_refused_by_the_image_install(built, tmp_path):
    """The image's install as the Dockerfile runs it (uv, the bento's requirements, the same
    UV_ settings) into a throwaway venv, on two altered copies of the requirements: one with
    pyyaml's hashes changed, one with a pin no hash covers. Each fails, naming it, and
    installs nothing."""
    bento = bento_dir(built)
    text = (bento / "env/python/requirements.txt").read_text()
    victim = next(e for e in requirement_entries(text) if e.startswith("pyyaml=="))
    tampered = text
    for digest in re.findall(r"sha256:([0-9a-f]{64})", victim):  # whichever file uv picks
        tampered = tampered.replace(digest, digest[::-1])
    python = str(built.project / ".venv/bin/python")
    venv = tmp_path / "venv"
    sh(["uv", "venv", "--quiet", "--python", python, str(venv)], tmp_path)
    settings = dockerfile_env((bento / "env/docker/Dockerfile").read_text())
    cases = {
        "Hash mismatch for `pyyaml==": tampered,
        "must have a hash, but none were provided for: six==1.17.0": text + "six==1.17.0\n",
    }
    for error, requirements in cases.items():
        path = tmp_path / "requirements.txt"
        path.write_text(requirements)
        # The machine's uv cache (UV_NO_CACHE dropped): cached files are hash-checked too.
        env = {**built.env, **settings, "UV_CONSTRAINT": str(path), "VIRTUAL_ENV": str(venv)}
        env.pop("UV_NO_CACHE")
        refused = sh(["uv", "pip", "install", "-r", str(path)], tmp_path, check=False, env=env)
        said = " ".join(refused.stderr.split())  # uv wraps its messages to the terminal
        assert refused.returncode != 0 and error in said, refused.stderr[-2000:]
        listed = sh(["uv", "pip", "list", "--format", "json"], tmp_path, env=env).stdout
        assert json.loads(listed) == [], "a refused install left packages behind"


def test_container_runs_read_only_as_the_deployment_and_gets_ready(running):
    print(f"cold start to /readyz: {running.ready_seconds:.1f} s")
    user = subprocess.run(
        ["docker", "exec", running.name, "id", "-u"], capture_output=True, text=True, check=True
    )
    deployment = yaml.safe_load(
        (running.built.project / "deploy/kubernetes/deployment.yaml").read_text()
    )
    pod_security = deployment["spec"]["template"]["spec"]["securityContext"]
    assert int(user.stdout) == pod_security["runAsUser"]
    assert request(f"{running.url}/livez")[0] == 200


def test_predictions_equal_the_in_process_model_on_the_whole_test_split(running):
    records = running.built.expected["records"]
    served: list[Any] = []
    for start in range(0, len(records), 500):
        status, body = predict(running.url, records[start : start + 500])
        assert status == 200, body
        served += [item["prediction"] for item in body]
    assert served == running.built.expected["predictions"]


def test_malformed_payloads_get_4xx_never_5xx(running):
    payloads = malformed_payloads(running.built)
    assert len(payloads) >= 10
    answers = {kind: predict(running.url, body) for kind, body in payloads.items()}
    wrong = {kind: (status, str(body)[:300]) for kind, (status, body) in answers.items()}
    assert all(400 <= status < 500 for status, _ in answers.values()), wrong
    # An error names what was wrong without echoing the 100,000 characters sent.
    assert len(json.dumps(answers["text-beyond-max-length"][1])) < 5_000


def test_a_body_over_the_cap_gets_413_before_it_is_read(running):
    """The server answers from Content-Length alone; it never waits for the 50 MB."""
    host, port = running.url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.putrequest("POST", "/predict")
        connection.putheader("Content-Type", "application/json")
        connection.putheader("Content-Length", str(50_000_000))
        connection.endheaders()
        response = connection.getresponse()
        assert response.status == 413, response.read()
        assert "request body over" in json.loads(response.read())["error"]
    finally:
        connection.close()


def test_a_warning_echoes_at_most_the_longest_valid_text(running):
    built = running.built
    text = column_of_kind(built, str)
    value = "y" * 1000  # DEFAULT_MAX_TEXT_LENGTH: the longest value the contract accepts
    status, body = predict(running.url, [{**valid_record(built), text: value}])
    assert status == 200, body
    (warning,) = body[0]["warnings"]
    assert len(warning) < len(value) + 300


def test_metrics_serve_the_series_the_alert_rules_use(running):
    predict(running.url, [valid_record(running.built)])
    status, text = request(f"{running.url}/metrics")
    assert status == 200
    names = set(re.findall(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", text, re.MULTILINE))
    package = package_name(running.built.project)
    alerts = yaml.safe_load((running.built.project / "monitoring/alerts.yaml").read_text())
    used = {
        name
        for group in alerts["groups"]
        for rule in group["rules"]
        for name in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*(?=\{|\))", rule["expr"])
        if name.startswith(("bentoml_", package))
        and not name.startswith((f"{package}_drift", f"{package}_performance"))  # pushed
    }
    assert used and used <= names, f"alert rules use {sorted(used - names)}, not served"


def dashboard_expressions(dashboard: Path) -> list[str]:
    panels = json.loads(dashboard.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel.get("targets", [])]


def alert_expressions(alerts: Path) -> dict[str, str]:
    groups = yaml.safe_load(alerts.read_text())["groups"]
    return {rule["alert"]: rule["expr"] for group in groups for rule in group["rules"]}


def test_prometheus_scrapes_the_container_and_evaluates_every_shipped_expression(running, tmp_path):
    project = running.built.project
    monitoring = project / "monitoring"
    slug = project.name
    gateway, gateway_url = start_pushgateway(tmp_path)
    host = running.url.removeprefix("http://")
    targets = {slug: host, "pushgateway": gateway_url.removeprefix("http://")}
    prometheus, prometheus_url = start_prometheus(tmp_path, monitoring, targets)
    try:
        good = records_body(valid_record(running.built))
        bad = malformed_payloads(running.built)
        bodies = [good] * 60 + [bad["wrong-type"], bad["nan"]] * 10
        with ThreadPoolExecutor(8) as pool:
            statuses = [status for status, _ in pool.map(lambda b: predict(running.url, b), bodies)]
        assert statuses.count(200) == 60 and statuses.count(400) == 20, statuses

        requests = 'sum(rate(bentoml_service_request_total{endpoint="/predict"}[5m]))'
        wait_for(lambda: query(prometheus_url, requests)["result"], 60, "a request rate")
        expressions = {**alert_expressions(monitoring / "alerts.yaml")}
        for index, expr in enumerate(dashboard_expressions(monitoring / "grafana-dashboard.json")):
            expressions[f"dashboard panel target {index}"] = expr
        results = {
            name: query(prometheus_url, expr)["result"] for name, expr in expressions.items()
        }
        empty = [
            name
            for name, result in results.items()
            if "bentoml_service_request" in expressions[name]
            and not name.startswith("Prediction")  # an alert expr is empty while it holds
            and not result
        ]
        assert not empty, f"request series without data: {empty}"
        by_code = query(
            prometheus_url,
            'sum by (http_response_code) (bentoml_service_request_total{endpoint="/predict"})',
        )["result"]
        assert {item["metric"]["http_response_code"] for item in by_code} >= {"200", "400"}
    finally:
        stop(prometheus)
        stop(gateway)


def test_docker_stop_ends_the_container_within_the_grace_period(running):
    """Last in this module: stops the shared container."""
    start = time.monotonic()
    subprocess.run(["docker", "stop", "-t", str(running.grace_seconds), running.name], check=True)
    elapsed = time.monotonic() - start
    exit_code = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.ExitCode}}", running.name],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"docker stop took {elapsed:.1f} s, exit code {exit_code}")
    assert elapsed < running.grace_seconds, "SIGKILL after the grace period, not a clean stop"
    assert exit_code == "0", f"exit code {exit_code} after SIGTERM"


def test_a_pushed_drift_verdict_fires_the_drift_alert(trained, tmp_path):
    """`make drift` on shifted data, `make push-drift-metrics` to a real Pushgateway, and a
    real Prometheus with the shipped configuration: ModelInputDrift is firing."""
    tool("prometheus")
    project, env = trained
    current = tmp_path / "shifted.csv"
    windows = ["uv", "run", "--locked", "python", str(WINDOWS), "shifted", "classification"]
    sh([*windows, str(current)], project)
    sh(["make", "drift-report", f"CURRENT={current}"], project, env=env)  # as retrain.yml
    assert json.loads((project / "reports/drift.json").read_text())["drift"] is True
    gateway, gateway_url = start_pushgateway(tmp_path)
    slug = project.name
    targets = {slug: "127.0.0.1:9", "pushgateway": gateway_url.removeprefix("http://")}
    prometheus, prometheus_url = start_prometheus(tmp_path, project / "monitoring", targets)
    try:
        sh(["make", "push-drift-metrics"], project, env={**env, "PUSHGATEWAY_URL": gateway_url})

        def firing() -> list[dict[str, Any]]:
            alerts = request(f"{prometheus_url}/api/v1/alerts")[1]["data"]["alerts"]
            return [
                alert
                for alert in alerts
                if alert["labels"]["alertname"] == "ModelInputDrift" and alert["state"] == "firing"
            ]

        (alert,) = wait_for(firing, 60, "ModelInputDrift firing")
        assert alert["labels"]["severity"] == "ticket"
    finally:
        stop(prometheus)
        stop(gateway)
