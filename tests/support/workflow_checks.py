"""The checks every GitHub workflow and composite action of ours must pass.

One rule set for all workflows (CI now; PR review, release and retrain later), so a new
workflow is held to the same bar by calling `check_workflows(project)` in its test:

- actionlint (with shellcheck on `run:` scripts) on the workflows, which also validates the
  inputs and outputs of the local actions they call;
- zizmor, offline, on the whole `.github` folder: workflows and composite actions;
- check-jsonschema with the GitHub schemas for workflows and for action.yml files;
- shellcheck on composite actions' `run:` scripts, which actionlint does not read;
- our hygiene rules, read from the parsed YAML: every action pinned to a full commit SHA
  with its `# vX.Y.Z` beside it; values from GitHub reach shell through `env:`, never
  `${{ }}` inside `run:`; a step is a make target or `uv run`, at most a few lines of
  shell; top-level `permissions:` at most `contents: read`, widened per job; checkout
  with `persist-credentials: false`; a `timeout-minutes` on every job; no
  `pull_request_target`.

Every problem is a string that starts with the tool's name and carries its output, so a
failing assertion says what to fix without re-running anything.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from support.tools import tool

FULL_SHA = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[^@\s]+)?@[0-9a-f]{40}$")
DOCKER_DIGEST = re.compile(r"^docker://[^@\s]+@sha256:[0-9a-f]{64}$")
USES_LINE = re.compile(r"""^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$""")
VERSION_COMMENT = re.compile(r"^#\s*v?\d+\.\d+\.\d+\b")
LOCAL_PREFIXES = ("./", "$/")  # workspace path, or GitHub's self-repository syntax
MAX_RUN_LINES = 5  # "a step calls make or uv run, never ten lines of inline shell"
# Scopes a top-level `permissions:` may grant; anything more is widened per job.
ALLOWED_TOP_LEVEL = {"contents": {"read", "none"}}
# As actionlint does for `run:`: env vars come from `env:` and GITHUB_* come from the runner.
SHELLCHECK_EXCLUDES = "SC2154"


def workflow_files(project: Path) -> list[Path]:
    folder = project / ".github" / "workflows"
    return sorted(p for p in folder.glob("*") if p.suffix in {".yml", ".yaml"})


def action_files(project: Path) -> list[Path]:
    return sorted((project / ".github" / "actions").glob("*/action.y*ml"))


def check_workflows(project: Path) -> list[str]:
    """Every problem in `project/.github`; an empty list means all checks passed."""
    workflows, actions = workflow_files(project), action_files(project)
    if not workflows and not actions:
        return [f"setup: no workflows or actions under {project / '.github'}"]
    return [
        *run_actionlint(project, workflows),
        *run_zizmor(project),
        *run_check_jsonschema(project, workflows, "vendor.github-workflows"),
        *run_check_jsonschema(project, actions, "vendor.github-actions"),
        *run_shellcheck_on_actions(project, actions),
        *hygiene_problems(project, workflows, actions),
    ]


def report(problems: list[str]) -> str:
    """The assertion message: every problem, separated so tool output stays readable."""
    return f"{len(problems)} workflow problem(s):\n\n" + "\n\n".join(problems)


def _tool_problem(name: str, command: list[str], cwd: Path) -> list[str]:
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode == 0:
        return []
    output = "\n".join(part for part in (result.stdout.strip(), result.stderr.strip()) if part)
    return [f"{name}: exit {result.returncode} in {cwd}\n{output}"]


def _relative(project: Path, files: list[Path]) -> list[str]:
    return [str(path.relative_to(project)) for path in files]


def run_actionlint(project: Path, workflows: list[Path]) -> list[str]:
    """actionlint with shellcheck forced on: an absent shellcheck would silently skip `run:`."""
    if not workflows:
        return []
    command = [tool("actionlint"), "-no-color", "-shellcheck", tool("shellcheck"), "-pyflakes", ""]
    return _tool_problem("actionlint", [*command, *_relative(project, workflows)], project)


def run_zizmor(project: Path) -> list[str]:
    """zizmor finds template injection, unpinned uses, persisted credentials, and more.

    The pedantic persona also wants named jobs, concurrency limits and no `write-all`, even
    in one-job workflows; a justified exception takes a `# zizmor: ignore[<audit>]` comment.
    """
    command = [tool("zizmor"), "--offline", "--persona", "pedantic", "--no-progress"]
    command += ["--color", "never"]
    return _tool_problem("zizmor", [*command, "--strict-collection", ".github"], project)


def run_check_jsonschema(project: Path, files: list[Path], schema: str) -> list[str]:
    if not files:
        return []
    command = [tool("check-jsonschema"), "--color", "never", "--builtin-schema", schema]
    return _tool_problem("check-jsonschema", [*command, *_relative(project, files)], project)


def run_shellcheck_on_actions(project: Path, actions: list[Path]) -> list[str]:
    """shellcheck on composite actions' `run:` scripts, which actionlint never opens."""
    problems = []
    for path in actions:
        try:
            document = _load(path)
        except yaml.YAMLError:
            continue  # hygiene_problems reports the file
        if not isinstance(document, dict):
            continue
        for name, step in _steps(document, path):
            script = step.get("run")
            if not isinstance(script, str) or step.get("shell") not in {"bash", "sh"}:
                continue
            command = [
                tool("shellcheck"),
                f"--shell={step['shell']}",
                f"--exclude={SHELLCHECK_EXCLUDES}",
                "--format=gcc",
                "-",
            ]
            result = subprocess.run(
                command, input=script, capture_output=True, text=True, check=False
            )
            if result.returncode != 0:
                rel = path.relative_to(project)
                problems.append(f"shellcheck: {rel}, step {name!r}:\n{result.stdout.strip()}")
    return problems


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _steps(document: dict[str, Any], path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, step) for every step of a workflow's jobs or of a composite action."""
    if path.name.startswith("action."):
        runs = document.get("runs") or {}
        groups = {"runs": runs.get("steps") or []}
    else:
        jobs = document.get("jobs") or {}
        groups = {job_id: (job or {}).get("steps") or [] for job_id, job in jobs.items()}
    for group, steps in groups.items():
        for index, step in enumerate(steps):
            if isinstance(step, dict):
                yield f"{group}: {step.get('name') or step.get('id') or f'step {index + 1}'}", step


def _triggers(document: dict[str, Any]) -> list[str]:
    # YAML 1.1 reads the bare key `on` as the boolean True.
    on = document.get("on", document.get(True))
    if isinstance(on, str):
        return [on]
    if isinstance(on, list):
        return [str(event) for event in on]
    if isinstance(on, dict):
        return [str(event) for event in on]
    return []


def _permission_problems(document: dict[str, Any]) -> list[str]:
    if "permissions" not in document:
        return ["no top-level `permissions:`; the token would get the repository default"]
    permissions = document["permissions"]
    if not isinstance(permissions, dict):
        return [f"top-level `permissions: {permissions}`; use `{{}}` or `contents: read`"]
    return [
        f"top-level permission `{scope}: {level}` grants more than `contents: read`; "
        "widen it on the job that needs it"
        for scope, level in permissions.items()
        if level not in ALLOWED_TOP_LEVEL.get(scope, {"none"})
    ]


def _uses_problem(uses: str) -> str | None:
    if uses.startswith(LOCAL_PREFIXES) or FULL_SHA.match(uses) or DOCKER_DIGEST.match(uses):
        return None
    return f"`uses: {uses}` is not pinned to a full 40-hex commit SHA (nor local `./` or `$/`)"


def _step_problems(label: str, step: dict[str, Any]) -> list[str]:
    problems = []
    uses = step.get("uses")
    if isinstance(uses, str):
        if (problem := _uses_problem(uses)) is not None:
            problems.append(f"{label}: {problem}")
        if uses.startswith("actions/checkout@"):
            persist = (step.get("with") or {}).get("persist-credentials")
            if persist not in (False, "false"):
                problems.append(
                    f"{label}: checkout without `persist-credentials: false` leaves the token "
                    "in .git/config for every later step"
                )
    script = step.get("run")
    if isinstance(script, str):
        if "${{" in script:
            problems.append(
                f"{label}: `${{{{` inside `run:`; pass the value through `env:` so the shell "
                "sees data, not code"
            )
        lines = [line for line in script.splitlines() if line.strip()]
        if len(lines) > MAX_RUN_LINES:
            problems.append(
                f"{label}: {len(lines)} lines of inline shell (max {MAX_RUN_LINES}); move the "
                "logic into a make target or `uv run <package> <command>`"
            )
    return problems


def _version_comment_problems(path: Path) -> list[str]:
    """A SHA says nothing to a reader, so each pinned `uses:` carries `# vX.Y.Z` beside it."""
    problems = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match or "@" not in match[1] or match[1].startswith(LOCAL_PREFIXES):
            continue
        if not VERSION_COMMENT.match(match[2] or ""):
            problems.append(f"line {number}: `uses: {match[1]}` has no `# vX.Y.Z` comment")
    return problems


def _workflow_problems(document: dict[str, Any]) -> list[str]:
    problems = []
    if "pull_request_target" in _triggers(document):
        problems.append(
            "`pull_request_target` runs fork code with a write token and secrets; "
            "use `pull_request`"
        )
    problems += _permission_problems(document)
    for job_id, job in (document.get("jobs") or {}).items():
        if not isinstance(job, dict):
            continue
        if "runs-on" in job and "timeout-minutes" not in job:
            problems.append(f"job {job_id!r} has no `timeout-minutes` (the default is 6 hours)")
        reusable = job.get("uses")  # a job that calls a reusable workflow
        if isinstance(reusable, str) and (problem := _uses_problem(reusable)) is not None:
            problems.append(f"job {job_id!r}: {problem}")
    return problems


def hygiene_problems(project: Path, workflows: list[Path], actions: list[Path]) -> list[str]:
    """Pinned actions, no expressions in shell, least privilege, no credentials left behind."""
    problems = []
    for path in [*workflows, *actions]:
        rel = path.relative_to(project)
        try:
            document = _load(path)
        except yaml.YAMLError as error:
            problems.append(f"hygiene: {rel}: not valid YAML: {error}")
            continue
        if not isinstance(document, dict):
            problems.append(f"hygiene: {rel}: not a YAML mapping")
            continue
        found = [] if path in actions else _workflow_problems(document)
        for label, step in _steps(document, path):
            found += _step_problems(label, step)
        found += _version_comment_problems(path)
        problems += [f"hygiene: {rel}: {problem}" for problem in found]
    return problems
