"""Stand-ins for what a workflow's `uses:` steps get from GitHub, for WorkflowRun's handlers.

There is no GitHub here: the clone a test made is the checkout, its synced environment is
the setup action's, artifacts are copies through a folder, and `gh` is a recording script.
Each stand-in checks the step's inputs a real run depends on.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support.projects import sh
from support.workflow_runner import Handler, StepContext


def checkout(full_history: str = "", when: Callable[[StepContext], bool] | None = None) -> Handler:
    """actions/checkout: the test's clone already is the checkout. The step must keep the
    token out of .git/config (persist-credentials: false); with `full_history` (why it is
    needed) it must fetch every commit too, in the steps `when(step)` picks (default all)."""

    def _checkout(step: StepContext) -> dict[str, str]:
        assert step.inputs.get("persist-credentials") == "false"
        if full_history and (when is None or when(step)):
            assert step.inputs.get("fetch-depth") == "0", full_history
        return {}

    return _checkout


def setup(project: Path) -> Handler:
    """./.github/actions/setup: the locked environment synced in the clone, byte-compiled as
    the action's own `uv sync --locked --compile-bytecode` does."""

    def _setup(step: StepContext) -> dict[str, str]:
        sh(["uv", "sync", "--locked", "--compile-bytecode", "--quiet"], project)
        return {}

    return _setup


class Artifacts:
    """Stand-ins for actions/upload-artifact and download-artifact: copies through `store`.

    An uploaded file keeps its name inside the artifact; an uploaded folder gives its
    contents, as on GitHub. Downloading copies the artifact's contents to the step's path.
    """

    def __init__(self, workdir: Path, store: Path) -> None:
        self.workdir, self.store = workdir, store

    def upload(self, step: StepContext) -> dict[str, str]:
        source, target = self.workdir / step.inputs["path"], self.store / step.inputs["name"]
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target / source.name)
        return {}

    def download(self, step: StepContext) -> dict[str, str]:
        source, target = self.store / step.inputs["name"], self.workdir / step.inputs["path"]
        shutil.copytree(source, target, dirs_exist_ok=True)
        return {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "actions/upload-artifact@": self.upload,
            "actions/download-artifact@": self.download,
        }


def recording_gh(bin_dir: Path, log: Path, replies: dict[str, Any] | None = None) -> Path:
    """A stand-in `gh` on PATH: records each call (and any --body-file or `-F body=@file`
    content) as JSON lines, and answers a call whose arguments contain a key of `replies`
    with that reply as JSON (GitHub's API answers, recorded by the test)."""
    bin_dir.mkdir(parents=True, exist_ok=True)
    script = bin_dir / "gh"
    script.write_text(
        f"""#!/usr/bin/env python3
import json, sys
args = sys.argv[1:]
record = {{"args": args}}
if "--body-file" in args:
    record["body"] = open(args[args.index("--body-file") + 1]).read()
for arg in args:
    if arg.startswith("body=@"):
        record["body"] = open(arg[len("body=@"):]).read()
with open({str(log)!r}, "a") as handle:
    handle.write(json.dumps(record) + "\\n")
replies = {json.dumps(replies or {})!r}
for key, reply in json.loads(replies).items():
    if any(key in arg for arg in args):
        print(json.dumps(reply))
        break
"""
    )
    script.chmod(0o755)
    return script


def recorded_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
