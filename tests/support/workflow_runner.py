"""Run a generated workflow's steps locally, in order, the way a GitHub runner would.

There is no GitHub here, so a workflow is proven by executing it: every `run:` step runs in
bash with its `env:` (GitHub expressions evaluated from a context the test gives), composite
actions of the repository are expanded into their own steps, and every other `uses:` step is
replaced by a stand-in the test names (checkout, credentials, artifacts). Step outputs,
outcomes, `if:` conditions, job outputs and `needs` behave as on GitHub, for the subset of
the expression language the workflows use.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}", re.S)
TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<op>==|!=|&&|\|\||!|\(|\)|,)"
    r"|(?P<call>[A-Za-z_][\w-]*\()|(?P<path>[A-Za-z_][\w.*-]*))"
)

STATUS_CALL = re.compile(r"\b(?:success|failure|always|cancelled)\s*\(")

Handler = Callable[["StepContext"], dict[str, str]]


@dataclass
class StepResult:
    job: str
    name: str
    outcome: str  # success, failure or skipped
    command: str = ""
    stdout: str = ""
    stderr: str = ""
    outputs: dict[str, str] = field(default_factory=dict)


@dataclass
class StepContext:
    """What a stand-in for a `uses:` step gets: its inputs, evaluated, and the run."""

    uses: str
    inputs: dict[str, str]
    run: WorkflowRun


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


class Evaluator:
    """GitHub expressions: literals, context paths, ==, !=, !, &&, ||, () and status calls."""

    def __init__(self, context: dict[str, Any], job_ok: bool) -> None:
        self.context = context
        self.job_ok = job_ok

    def evaluate(self, source: str) -> Any:
        tokens = self.tokenize(source)
        value, rest = self.parse_or(tokens)
        if rest:
            raise ValueError(f"unsupported expression: {source!r}")
        return value

    @staticmethod
    def tokenize(source: str) -> list[tuple[str, str]]:
        tokens, position = [], 0
        while position < len(source.rstrip()):
            match = TOKEN.match(source, position)
            if not match or match.end() == position:
                raise ValueError(f"cannot parse expression {source!r} at {position}")
            kind = match.lastgroup or ""
            tokens.append((kind, match.group(kind)))
            position = match.end()
        return tokens

    def parse_or(self, tokens):
        left, tokens = self.parse_and(tokens)
        while tokens and tokens[0][1] == "||":
            right, tokens = self.parse_and(tokens[1:])
            left = left if self.truthy(left) else right
        return left, tokens

    def parse_and(self, tokens):
        left, tokens = self.parse_compare(tokens)
        while tokens and tokens[0][1] == "&&":
            right, tokens = self.parse_compare(tokens[1:])
            left = right if self.truthy(left) else left
        return left, tokens

    def parse_compare(self, tokens):
        left, tokens = self.parse_unary(tokens)
        while tokens and tokens[0][1] in ("==", "!="):
            operator = tokens[0][1]
            right, tokens = self.parse_unary(tokens[1:])
            equal = as_text(left).lower() == as_text(right).lower()
            left = equal if operator == "==" else not equal
        return left, tokens

    def parse_unary(self, tokens):
        if tokens[0][1] == "!":
            value, rest = self.parse_unary(tokens[1:])
            return not self.truthy(value), rest
        if tokens[0][1] == "(":
            value, rest = self.parse_or(tokens[1:])
            return value, rest[1:]
        kind, text = tokens[0]
        if kind == "string":
            return text[1:-1].replace("''", "'"), tokens[1:]
        if kind == "call":
            name = text[:-1]
            rest = tokens[1:]
            if rest and rest[0][1] == ")":
                rest = rest[1:]
            return self.call(name), rest
        if text in ("true", "false"):
            return text == "true", tokens[1:]
        return self.lookup(text), tokens[1:]

    def call(self, name: str) -> bool:
        calls = {
            "always": True,
            "success": self.job_ok,
            "failure": not self.job_ok,
            "cancelled": False,
        }
        if name not in calls:
            raise ValueError(f"unsupported function {name}()")
        return calls[name]

    def lookup(self, path: str) -> Any:
        node: Any = self.context
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        return node

    @staticmethod
    def truthy(value: Any) -> bool:
        return value not in (None, False, "", 0)

    def interpolate(self, text: Any) -> str:
        return EXPRESSION.sub(lambda match: as_text(self.evaluate(match.group(1))), as_text(text))

    def condition(self, source: Any) -> bool:
        """As GitHub does: `success() &&` is implied unless a status function is named."""
        if source is None:
            return self.job_ok
        if isinstance(source, bool):
            return source and self.job_ok
        inner = EXPRESSION.fullmatch(str(source).strip())
        text = inner.group(1) if inner else str(source)
        value = self.truthy(self.evaluate(text))
        return value if STATUS_CALL.search(text) else value and self.job_ok


def read_outputs(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT: `name=value` lines and `name<<DELIMITER` blocks."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text().splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            outputs[name] = "\n".join(block)
        elif "=" in line:
            name, value = line.split("=", 1)
            outputs[name] = value
    return outputs


@dataclass
class WorkflowRun:
    """One workflow run in `workdir`, with stand-ins for `uses:` steps keyed by prefix."""

    workflow: Path
    workdir: Path
    github: dict[str, Any]
    handlers: dict[str, Handler]
    variables: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    inputs: dict[str, str] = field(default_factory=dict)  # a workflow_dispatch's inputs
    results: list[StepResult] = field(default_factory=list)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.spec = yaml.safe_load(self.workflow.read_text())
        self.scratch = Path(tempfile.mkdtemp(prefix="workflow-run-"))
        self.summary = self.scratch / "step-summary.md"
        self.summary.touch()

    def context(self, steps: dict[str, Any], job_env: dict[str, str]) -> dict[str, Any]:
        return {
            "github": self.github,
            "vars": self.variables,
            "secrets": self.secrets,
            "env": job_env,
            "steps": steps,
            "needs": {name: self.jobs[name] for name in self.jobs},
            "runner": {"temp": str(self.scratch)},
            "inputs": self.inputs,
        }

    def run(self) -> dict[str, dict[str, Any]]:
        """Run every job whose needs are done, in order; return each job's result and outputs."""
        pending = dict(self.spec["jobs"])
        while pending:
            ready = [
                name
                for name, job in pending.items()
                if all(need in self.jobs for need in self.as_list(job.get("needs")))
            ]
            if not ready:
                raise ValueError(f"jobs with unmet needs: {sorted(pending)}")
            for name in ready:
                self.jobs[name] = self.run_job(name, pending.pop(name))
        return self.jobs

    @staticmethod
    def as_list(value: Any) -> list[str]:
        return [] if value is None else [value] if isinstance(value, str) else list(value)

    def run_job(self, name: str, job: dict[str, Any]) -> dict[str, Any]:
        needs = self.as_list(job.get("needs"))
        needs_ok = all(self.jobs[need]["result"] == "success" for need in needs)
        evaluator = Evaluator(self.context({}, {}), needs_ok)
        if not evaluator.condition(job.get("if")):
            return {"result": "skipped", "outputs": {}}
        job_env = {
            **self.env,
            **{k: evaluator.interpolate(v) for k, v in (job.get("env") or {}).items()},
        }
        steps: dict[str, Any] = {}
        ok = self.run_steps(name, job.get("steps", []), steps, job_env, ok=True)
        final = Evaluator(self.context(steps, job_env), ok)
        outputs = {
            key: final.interpolate(value) for key, value in (job.get("outputs") or {}).items()
        }
        return {"result": "success" if ok else "failure", "outputs": outputs}

    def run_steps(
        self,
        job: str,
        step_specs: list[dict[str, Any]],
        steps: dict[str, Any],
        env: dict[str, str],
        ok: bool,
        inputs: dict[str, str] | None = None,
    ) -> bool:
        for index, spec in enumerate(step_specs):
            context = self.context(steps, env)
            if inputs is not None:
                context["inputs"] = inputs
            evaluator = Evaluator(context, ok)
            label = spec.get("name") or spec.get("uses") or spec.get("run", "")[:40]
            step_id = spec.get("id", f"step{index}")
            if not evaluator.condition(spec.get("if")):
                steps[step_id] = {"outcome": "skipped", "conclusion": "skipped", "outputs": {}}
                self.results.append(StepResult(job, label, "skipped"))
                continue
            step_env = {k: evaluator.interpolate(v) for k, v in (spec.get("env") or {}).items()}
            if "run" in spec:
                result = self.run_shell(job, label, spec["run"], {**env, **step_env})
            else:
                with_inputs = {
                    k: evaluator.interpolate(v) for k, v in (spec.get("with") or {}).items()
                }
                result = self.run_uses(job, label, spec["uses"], with_inputs, env)
            self.results.append(result)
            steps[step_id] = {
                "outcome": result.outcome,
                "conclusion": "success" if spec.get("continue-on-error") else result.outcome,
                "outputs": result.outputs,
            }
            if result.outcome == "failure" and not spec.get("continue-on-error"):
                ok = False
        return ok

    def run_shell(self, job: str, label: str, script: str, env: dict[str, str]) -> StepResult:
        output_file = self.scratch / "output"
        output_file.write_text("")
        full_env = {
            **os.environ,
            **env,
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(self.summary),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
        }
        full_env.pop("VIRTUAL_ENV", None)
        completed = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.workdir,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        return StepResult(
            job,
            label,
            "success" if completed.returncode == 0 else "failure",
            script.strip(),
            completed.stdout,
            completed.stderr,
            read_outputs(output_file),
        )

    def run_uses(
        self, job: str, label: str, uses: str, inputs: dict[str, str], env: dict[str, str]
    ) -> StepResult:
        for prefix, handler in self.handlers.items():
            if uses.startswith(prefix):
                try:
                    outputs = handler(StepContext(uses, inputs, self))
                except AssertionError:
                    raise
                except Exception as error:  # a stand-in failing is the step failing
                    return StepResult(job, label, "failure", uses, "", str(error))
                return StepResult(job, label, "success", uses, outputs=outputs)
        if uses.startswith("./"):
            return self.run_composite(job, label, uses, inputs, env)
        raise AssertionError(f"no local stand-in for `uses: {uses}` (step {label!r})")

    def run_composite(
        self, job: str, label: str, uses: str, inputs: dict[str, str], env: dict[str, str]
    ) -> StepResult:
        """Expand a repository's composite action: its steps run here, its outputs return."""
        action = yaml.safe_load((self.workdir / uses / "action.yml").read_text())
        declared = action.get("inputs") or {}
        values = {
            name: inputs.get(name, as_text(spec.get("default", "")))
            for name, spec in declared.items()
        }
        inner: dict[str, Any] = {}
        before = len(self.results)
        ok = self.run_steps(job, action["runs"]["steps"], inner, env, ok=True, inputs=values)
        context = self.context(inner, env)
        context["inputs"] = values
        evaluator = Evaluator(context, ok)
        outputs = {
            name: evaluator.interpolate(spec.get("value", ""))
            for name, spec in (action.get("outputs") or {}).items()
        }
        nested = self.results[before:]
        return StepResult(
            job,
            label,
            "success" if ok else "failure",
            uses,
            "".join(result.stdout for result in nested),
            "".join(result.stderr for result in nested),
            outputs,
        )

    def step(self, name: str) -> StepResult:
        """The last result of the step with this name (raises if it never ran)."""
        for result in reversed(self.results):
            if result.name == name:
                return result
        raise AssertionError(f"step {name!r} did not run; ran: {[r.name for r in self.results]}")

    def transcript(self) -> str:
        """Every step's outcome, with the output of failed ones: the assertion message."""
        lines = []
        for result in self.results:
            lines.append(f"[{result.job}] {result.outcome:<8} {result.name}")
            if result.outcome == "failure":
                lines.append(f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
        return "\n".join(lines)

    def cleanup(self) -> None:
        shutil.rmtree(self.scratch, ignore_errors=True)
