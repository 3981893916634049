"""The release image: its size against the 600 MB goal, what each layer costs, how long
`make image` takes, and the container's cold start to /readyz when run as
deploy/kubernetes/deployment.yaml runs it (read-only root, emptyDirs as tmpfs, no capabilities).

Needs a Docker engine: `.ci/services.sh start && source build/services/env` provides one.
Run: `uv run --locked python benchmarks/image.py [--starts 3]`.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from generated_project import TEMPLATE, generate, project_env, run, timed
from results import fenced, record

sys.path.insert(0, str(TEMPLATE / "tests"))
from support.real_services import deployment_run_options  # the tests' support package

GOAL_BYTES = 600_000_000
IMAGE = "churn_model:bench"
PORT = 3990


def docker(*args: str) -> str:
    return subprocess.run(["docker", *args], capture_output=True, text=True, check=True).stdout


def layers(image: str) -> list[tuple[int, str]]:
    """(bytes, the step that made it) of each layer above 1 MB, largest first."""
    rows = docker(
        "history", "--no-trunc", "--human=false", "--format", "{{.Size}}\t{{.CreatedBy}}", image
    )
    sized = [
        (int(size), step) for size, step in (line.split("\t", 1) for line in rows.splitlines())
    ]
    return sorted((row for row in sized if row[0] > 1_000_000), reverse=True)


def cold_start(project: Path) -> float:
    """Seconds from `docker run` to /readyz 200, run as the Deployment runs it."""
    options, _ = deployment_run_options(project / "deploy/kubernetes/deployment.yaml")
    name = f"bench-image-{PORT}"
    started = time.perf_counter()
    docker("run", "--detach", "--name", name, "--network", "host", *options, IMAGE,
           "--host", "127.0.0.1", "--port", str(PORT))  # fmt: skip
    try:
        while time.perf_counter() - started < 180:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/readyz", timeout=2):
                    return time.perf_counter() - started
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"not ready in 180 s:\n{docker('logs', name)[-3000:]}")
    finally:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time")
    args = parser.parse_args()
    if subprocess.run(["docker", "info"], capture_output=True).returncode != 0:
        sys.exit("no Docker engine: run `.ci/services.sh start && source build/services/env`")
    with tempfile.TemporaryDirectory(prefix="bench-image-") as scratch:
        env = project_env(Path(scratch))
        project = generate(Path(scratch), Path(scratch) / "remote")
        for target in ("setup", "pipeline"):
            run(["make", target], project, env)
        run(["git", "add", "-A"], project, env)  # the bento's version is this commit
        run(["git", "commit", "-q", "--no-verify", "-m", "Reviewed model"], project, env)
        # The base as this engine names it: the project's digest is Docker Hub's, unreachable
        # from some machines (there the base is made locally, see .ci/services.sh).
        run(["make", "bento", f"BASE_IMAGE={docker_base(project)}"], project, env)
        build = ["make", "image", f"IMAGE={IMAGE}", "IMAGE_BUILD_OPTS=--opt network=host"]
        seconds, _ = timed(build, project, env)
        size = int(docker("image", "inspect", "-f", "{{.Size}}", IMAGE))
        base = int(docker("image", "inspect", "-f", "{{.Size}}", docker_base(project)))
        starts = [cold_start(project) for _ in range(args.starts)]
    biggest = layers(IMAGE)
    docker("rmi", IMAGE)
    build_line = f"$ make image IMAGE={IMAGE} IMAGE_BUILD_OPTS='--opt network=host'"
    lines = [f"{build_line}  ({seconds:.0f} s)"]
    share = f"({size / GOAL_BYTES:.0%} of it); the base image is {base / 1e6:.0f} MB"
    lines.append(f"image size: {size / 1e6:.0f} MB, goal {GOAL_BYTES / 1e6:.0f} MB {share}")
    for layer_bytes, step in biggest:
        label = step[:100].strip() or "(the base image)"
        lines.append(f"  {layer_bytes / 1e6:6.0f} MB  {label}")
    cold = f"cold start to /readyz (read-only, as deployment.yaml runs it), {len(starts)} runs"
    median = f"median {statistics.median(starts):.1f} s, min {min(starts):.1f} s"
    lines.append(f"{cold}: {median}")
    print("\n".join(lines))
    command = f"uv run --locked python benchmarks/image.py --starts {args.starts}"
    record("Release image", fenced("\n".join(lines)), command)


def docker_base(project: Path) -> str:
    version = (project / ".python-version").read_text().strip()
    return f"python:{version}-slim"


if __name__ == "__main__":
    main()
