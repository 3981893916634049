"""The whole mergeship loop on this machine, with no cloud: start, review, release.

Generates a project with the template's defaults, sets it up, runs its DVC pipeline and
pushes to a local-directory remote, runs its tests, simulates a pull request that changes a
param and prints the review's verdict and fairness tables, builds the bento, serves it on
127.0.0.1, sends one prediction and stops the server. Every step is a `make` target or git
command of the generated project, so what the demo shows is what its README and workflows
run.

Each step prints one progress line with its time; its output goes to a log file, shown on
failure with the step's name and the command to rerun it. Run through `make demo`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1]
PR_BRANCH = "demo/logistic-regression"
# The PR's change, on the default params.yaml: a different model with its own hyperparameters.
FOREST = "  model: random_forest\n"
FOREST_HYPERPARAMETERS = re.compile(r"(  hyperparameters:\n)(    \w+: .*\n)+")
LOGISTIC = "  model: logistic_regression\n"
LOGISTIC_HYPERPARAMETERS = "    C: 1.0\n    max_iter: 1000\n"
GIT_IDENTITY = ["-c", "user.name=mergeship demo", "-c", "user.email=demo@example.invalid"]
READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 20.0


class StepFailed(Exception):
    """A demo step failed; the message names the command to rerun."""


@dataclass
class Demo:
    """The generated project, the environment its commands run in, and the step timings."""

    output: Path
    verbose: bool
    env: dict[str, str] = field(default_factory=dict)
    project: Path = Path()
    timings: list[tuple[str, float, str]] = field(default_factory=list)
    server: subprocess.Popen | None = None
    total: int = 0
    port: int = 0

    @property
    def logs(self) -> Path:
        return self.output / "logs"

    def run(self, step: str, command: list[str], cwd: Path | None = None, **env: str) -> str:
        """Run one command of a step (in the project by default); log and return its output."""
        cwd = cwd or self.project
        log = self.logs / f"{step}.log"
        with open(log, "a") as handle:
            handle.write(f"$ {' '.join(command)}\n")
            handle.flush()
            result = subprocess.run(
                command,
                cwd=cwd,
                env={**self.env, **env},
                stdout=None if self.verbose else subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            handle.write(result.stdout or "")
        if result.returncode != 0:
            tail = "\n".join((result.stdout or "").strip().splitlines()[-30:])
            prefix = " ".join(f"{key}={value}" for key, value in env.items())
            rerun = f"cd {cwd} && {prefix + ' ' if prefix else ''}{' '.join(command)}"
            raise StepFailed(
                f"{tail}\n\ndemo failed at step '{step}': `{' '.join(command)}` exited "
                f"{result.returncode} (full log: {log}).\nRerun it with: {rerun}"
            )
        return result.stdout or ""

    def step(self, number: int, name: str, what: str, action: Callable[[], str | None]) -> None:
        """Print a progress line, time the action, and print what it has to show."""
        print(f"[{number}/{self.total}] {name:<9} {what}", flush=True)
        started = time.perf_counter()
        shown = action()
        seconds = time.perf_counter() - started
        self.timings.append((name, seconds, what))
        for line in (shown or "").strip().splitlines():
            print(f"      {line}")
        print(f"      done in {seconds:.1f} s", flush=True)


def project_env() -> dict[str, str]:
    """The caller's environment, minus what would pin the project to the template's Python."""
    unpinned = {"VIRTUAL_ENV", "PYENV_VERSION", "PYENV_DIR"}
    env = {key: value for key, value in os.environ.items() if key not in unpinned}
    # The template's venv holds uv; generated Makefiles call it by name.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


def demo_env(output: Path) -> dict[str, str]:
    """The project's environment, with BentoML's store inside the demo folder, not ~/bentoml."""
    return {**project_env(), "BENTOML_HOME": str(output / "bentoml")}


def generate(demo: Demo) -> str:
    """Run cookiecutter's own CLI in the output folder, as a user would; its output is logged."""
    remote = demo.output / "dvc-storage"
    command = [sys.executable, "-m", "cookiecutter", str(TEMPLATE), "--no-input"]
    demo.run("generate", [*command, f"dvc_remote_url={remote}"], cwd=demo.output)
    created = [path for path in demo.output.iterdir() if (path / "pyproject.toml").is_file()]
    if len(created) != 1:
        raise StepFailed(f"demo failed at step 'generate': expected one project in {demo.output}")
    demo.project = created[0]
    return f"{demo.project} (DVC remote: {remote})"


def pipeline(demo: Demo) -> str:
    demo.run("pipeline", ["make", "pipeline"])
    demo.run("pipeline", ["make", "push-data"])
    demo.run("pipeline", ["git", "add", "-A"])
    demo.run("pipeline", ["git", *GIT_IDENTITY, "commit", "-q", "-m", "Baseline model"])
    metrics = json.loads((demo.project / "metrics.json").read_text())
    scores = ", ".join(f"{key} {value:.4f}" for key, value in metrics.items() if _is_number(value))
    return f"test metrics: {scores}\ncommitted on main; data, model and run-cache pushed"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def change_params(project: Path) -> None:
    """Switch the default random forest to a logistic regression, comments left intact."""
    path = project / "params.yaml"
    text = path.read_text()
    if FOREST not in text or not FOREST_HYPERPARAMETERS.search(text):
        raise StepFailed(f"{path} is not the template's default; the demo cannot change it")
    text = text.replace(FOREST, LOGISTIC, 1)
    text = FOREST_HYPERPARAMETERS.sub(lambda match: match[1] + LOGISTIC_HYPERPARAMETERS, text, 1)
    path.write_text(text)


def verdict(report: str) -> str:
    """The verdict line and the metric table of a review report."""
    lines = report.splitlines()
    heading = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), "")
    table = [line for line in _section(lines, "Metrics") if line.startswith("|")]
    return "\n".join([heading, *table])


def fairness(report: str) -> str:
    """The Fairness section's tables, each under its feature's name."""
    lines = _section(report.splitlines(), "Fairness", nested=True)
    return "\n".join(line for line in lines if line.startswith(("|", "#")))


def costs(report: str) -> str:
    """The Cost section: main's model against the PR's, timed back to back."""
    lines = _section(report.splitlines(), "Cost")
    return "\n".join(["Cost", *(line for line in lines if line.startswith("|"))])


def _section(lines: list[str], title: str, nested: bool = False) -> list[str]:
    """The lines under a heading, up to the next heading (of its level or above, if nested)."""
    start = next((i for i, line in enumerate(lines) if line.strip("# ") == title), None)
    if start is None:
        return []
    level = len(lines[start]) - len(lines[start].lstrip("#"))

    def ends(line: str) -> bool:
        depth = len(line) - len(line.lstrip("#"))
        return depth > 0 and (not nested or depth <= level)

    end = next((i for i in range(start + 1, len(lines)) if ends(lines[i])), len(lines))
    return lines[start + 1 : end]


def pull_request(demo: Demo) -> str:
    demo.run("review", ["git", "switch", "-q", "-c", PR_BRANCH])
    change_params(demo.project)
    demo.run("review", ["make", "pipeline"])
    demo.run("review", ["git", "add", "-A"])
    demo.run("review", ["git", *GIT_IDENTITY, "commit", "-q", "-m", "Try logistic regression"])
    demo.run("review", ["make", "review", "BASE=main"])
    report = demo.project / "reports" / "review.md"
    text = report.read_text()
    return f"{verdict(text)}\n{fairness(text)}\n{costs(text)}\nfull report: {report}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def serve(demo: Demo, port: int) -> str:
    demo.port = port
    log = open(demo.logs / "serve.log", "w")  # noqa: SIM115 - the server outlives this function
    demo.server = subprocess.Popen(
        ["make", "serve", f"PORT={port}"],
        cwd=demo.project,
        env=demo.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so stop() reaches every worker
    )
    deadline = time.monotonic() + READY_TIMEOUT_SECONDS
    while not answers(f"http://127.0.0.1:{port}/readyz"):
        if demo.server.poll() is not None or time.monotonic() > deadline:
            tail = "\n".join((demo.logs / "serve.log").read_text().splitlines()[-30:])
            raise StepFailed(
                f"{tail}\n\ndemo failed at step 'serve': the service did not become ready "
                f"(log: {demo.logs / 'serve.log'}).\n"
                f"Rerun it with: cd {demo.project} && make serve PORT={port}"
            )
        time.sleep(0.5)
    return f"http://127.0.0.1:{port} is ready (log: {demo.logs / 'serve.log'})"


def living_members(group: int) -> list[int]:
    """Processes of a process group that still run (zombies excluded), read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[2]) == group and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def stop(demo: Demo) -> str:
    """Stop the server's whole process group; escalate to SIGKILL if any of it lingers."""
    server, demo.server = demo.server, None
    if server is None or server.poll() is not None:
        return "no server was running"
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    with contextlib.suppress(ProcessLookupError):  # workers that ignored the SIGTERM
        os.killpg(server.pid, signal.SIGKILL)
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS  # a SIGKILL lands asynchronously
    while (left := living_members(server.pid)) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        raise StepFailed(f"demo failed at step 'stop': processes {left} outlived SIGKILL")
    if answers(f"http://127.0.0.1:{demo.port}/livez"):
        raise StepFailed(f"demo failed at step 'stop': port {demo.port} still answers")
    return f"stopped; nothing answers on port {demo.port}"


def summary(timings: list[tuple[str, float, str]]) -> str:
    width = max(len(what) for _, _, what in timings)
    rows = [f"{'step':<10} {'seconds':>8}  {'what'}", f"{'-' * 10} {'-' * 8}  {'-' * width}"]
    rows += [f"{name:<10} {seconds:>8.1f}  {what}" for name, seconds, what in timings]
    rows.append(f"{'total':<10} {sum(seconds for _, seconds, _ in timings):>8.1f}")
    return "\n".join(rows)


def make(demo: Demo, target: str, marker: str) -> Callable[[], str]:
    """A step that runs one make target and shows the line of its output with marker."""

    def action() -> str:
        lines = demo.run(target, ["make", target]).strip().splitlines() or [""]
        return next((line for line in reversed(lines) if marker in line), lines[-1])

    return action


def run_demo(demo: Demo) -> None:
    port = free_port()
    service = f"http://127.0.0.1:{port}"
    steps: list[tuple[str, str, Callable[[], str | None]]] = [
        ("generate", "cookiecutter with the defaults", lambda: generate(demo)),
        ("setup", "make setup", make(demo, "setup", "Installed")),
        ("pipeline", "make pipeline && make push-data", lambda: pipeline(demo)),
        ("test", "make test", make(demo, "test", "passed")),
        ("review", f"PR {PR_BRANCH}: make review BASE=main", lambda: pull_request(demo)),
        ("bento", "make bento", make(demo, "bento", "Bento(tag=")),
        ("serve", f"make serve PORT={port}", lambda: serve(demo, port)),
        (
            "predict",
            f"make smoke SERVICE_URL={service}",
            lambda: demo.run("predict", ["make", "-s", "smoke"], SERVICE_URL=service),
        ),
        ("stop", "stop the server's process group", lambda: stop(demo)),
    ]
    demo.total = len(steps)
    try:
        for number, (name, what, action) in enumerate(steps, start=1):
            demo.step(number, name, what, action)
    finally:
        if demo.server is not None:  # a failure or Ctrl-C: leave nothing running
            print(f"      {stop(demo)}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--output", type=Path, default=Path("build/demo"))
    parser.add_argument("--verbose", action="store_true", help="stream every command's output")
    args = parser.parse_args()
    output = args.output.resolve()
    if output.exists():
        shutil.rmtree(output)
    (output / "logs").mkdir(parents=True)
    demo = Demo(output=output, verbose=args.verbose, env=demo_env(output))
    try:
        run_demo(demo)
    except StepFailed as failure:
        print(f"\n{failure}", file=sys.stderr)
        if demo.timings:
            print(f"\n{summary(demo.timings)}", file=sys.stderr)
        return 1
    print(f"\n{summary(demo.timings)}")
    print(
        f"\nThe project is in {demo.project}, on branch {PR_BRANCH}.\n"
        f"Next: cd {demo.project} && make help (BentoML's store for this demo: "
        f"BENTOML_HOME={demo.env['BENTOML_HOME']})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
