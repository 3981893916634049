"""The real services behind the release and monitoring tests: a Docker engine, an image
registry (distribution), Prometheus and the Pushgateway, as `.ci/services.sh start` provides
them.

A missing service skips its tests outside CI and fails them under CI=true (support.tools).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import Any

import yaml

from support.servers import free_port, request, start_server, wait_ready
from support.tools import require, tool

READY_TIMEOUT_SECONDS = 30


def docker_engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, timeout=30).returncode == 0


def require_docker() -> None:
    require("a Docker engine (docker info)", docker_engine_answers())


def start_registry(root: Path) -> tuple[subprocess.Popen, str]:
    """A Docker image registry (distribution's `docker-registry`) on a free loopback port,
    storing under `root`; (process, host:port). Docker pushes to a loopback registry over HTTP."""
    registry = tool("docker-registry")
    port = free_port()
    config = {
        "version": 0.1,
        "log": {"level": "warn"},
        "storage": {"filesystem": {"rootdirectory": str(root / "data")}},
        "http": {"addr": f"127.0.0.1:{port}"},
    }
    (root / "config.yml").write_text(yaml.safe_dump(config))
    log = root / "registry.log"
    server = start_server([registry, "serve", str(root / "config.yml")], root, {}, log)
    wait_ready(f"http://127.0.0.1:{port}", server, log, READY_TIMEOUT_SECONDS, path="/v2/")
    return server, f"127.0.0.1:{port}"


def push_by_digest(image: str, registry: str) -> str:
    """Push a local image to `registry`; its reference by digest, `registry/name@sha256:...`,
    which a `FROM` resolves to exactly these layers or to nothing."""
    name = image.rsplit("/", 1)[-1].split(":", 1)[0]
    tagged = f"{registry}/{image.rsplit('/', 1)[-1]}"
    subprocess.run(["docker", "tag", image, tagged], check=True)
    pushed = subprocess.run(["docker", "push", tagged], capture_output=True, text=True, check=True)
    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed.stdout)
    assert digest, f"docker push printed no digest: {pushed.stdout[-500:]}"
    return f"{registry}/{name}@{digest.group(1)}"


def deployment_run_options(deployment_file: Path) -> tuple[list[str], int]:
    """`docker run` options that run the container as the Deployment does, and its
    terminationGracePeriodSeconds. Fails on a setting with no mapping here, so a new one in
    deployment.yaml must be mapped (or consciously skipped) before the tests pass."""
    deployment = yaml.safe_load(deployment_file.read_text())
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    security = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    options = ["--user", f"{security['runAsUser']}:{security['runAsGroup']}"]
    if security.get("readOnlyRootFilesystem"):
        options.append("--read-only")
    if security.get("allowPrivilegeEscalation") is False:
        options += ["--security-opt", "no-new-privileges"]
    capabilities = security.get("capabilities", {})
    options += [f"--cap-drop={name}" for name in capabilities.get("drop", [])]
    options += [f"--cap-add={name}" for name in capabilities.get("add", [])]
    volumes = {volume["name"]: volume for volume in pod.get("volumes", [])}
    for mount in container.get("volumeMounts", []):
        volume = volumes[mount["name"]]
        assert set(volume) == {"name", "emptyDir"}, f"no docker mapping for volume {volume}"
        # An emptyDir is an empty directory every user of the pod may write (fsGroup), no
        # bigger than its sizeLimit (Kubernetes evicts the pod beyond it; tmpfs refuses writes).
        limit = volume["emptyDir"]["sizeLimit"]
        assert limit.endswith("Mi"), f"sizeLimit {limit}: give it in Mi"
        size = f"size={limit.removesuffix('Mi')}m"
        options += ["--tmpfs", f"{mount['mountPath']}:rw,mode=1777,{size}"]
    for variable in container.get("env", []):
        options += ["--env", f"{variable['name']}={variable['value']}"]
    return options, int(pod.get("terminationGracePeriodSeconds", 30))


def start_pushgateway(root: Path) -> tuple[subprocess.Popen, str]:
    """prometheus-pushgateway on a free loopback port; (process, base URL)."""
    pushgateway = tool("prometheus-pushgateway")
    port = free_port()
    log = root / "pushgateway.log"
    command = [pushgateway, f"--web.listen-address=127.0.0.1:{port}"]
    server = start_server(command, root, dict(os.environ), log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, server, log, READY_TIMEOUT_SECONDS, path="/-/ready")
    return server, url


def prometheus_config(shipped: Path, targets: dict[str, str], interval: str) -> dict[str, Any]:
    """The project's monitoring/prometheus.yml with each job's target replaced (job name to
    host:port) and a short scrape and evaluation interval; everything else as shipped."""
    config = yaml.safe_load(shipped.read_text())
    config["global"] = {"scrape_interval": interval, "evaluation_interval": interval}
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(targets) <= set(jobs), f"{shipped} has jobs {sorted(jobs)}, not {sorted(targets)}"
    for name, target in targets.items():
        jobs[name]["static_configs"] = [{"targets": [target]}]
    return config


def start_prometheus(
    root: Path, monitoring: Path, targets: dict[str, str], interval: str = "1s"
) -> tuple[subprocess.Popen, str]:
    """Prometheus on a free loopback port with the project's scrape configuration and rule
    files (copied from `monitoring/` beside the config); (process, base URL)."""
    prometheus = tool("prometheus")
    config = prometheus_config(monitoring / "prometheus.yml", targets, interval)
    for rule_file in config.get("rule_files", []):
        shutil.copy(monitoring / rule_file, root / rule_file)
    (root / "prometheus.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    log = root / "prometheus.log"
    command = [
        prometheus,
        f"--config.file={root / 'prometheus.yml'}",
        f"--storage.tsdb.path={root / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
    ]
    server = start_server(command, root, dict(os.environ), log)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, server, log, READY_TIMEOUT_SECONDS, path="/-/ready")
    return server, url


def query(prometheus: str, expr: str) -> dict[str, Any]:
    """An instant query through the HTTP API; a parse error comes back as status 400."""
    url = f"{prometheus}/api/v1/query?{urllib.parse.urlencode({'query': expr})}"
    status, body = request(url)
    assert status == 200 and body["status"] == "success", f"{expr!r}: {status} {body}"
    return body["data"]
