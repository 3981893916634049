"""CI's own run of the pipeline: a stage output pulled or left over could be one CI never
trained, so CI pulls only the raw data, refuses frozen stages and recomputes every output."""

from __future__ import annotations

import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

from ..core import recipe
from ..core.errors import UserError
from ..core.git import tracked


def dvc_live(*args: str) -> int:
    """DVC with its output streamed, so CI's log shows each stage as it runs."""
    return subprocess.run([sys.executable, "-m", "dvc", *args], check=False).returncode


def pull_inputs_command(args: Namespace) -> int:
    inputs = tracked("*.dvc")  # data added with `dvc add`, never a stage's output
    if not inputs:
        raise UserError("no `.dvc` file is tracked: add the raw data with `dvc add` first")
    return dvc_live("pull", *inputs)


def reproduce_command(args: Namespace) -> int:
    pipeline = recipe.read()
    recipe.refuse_frozen(pipeline)
    removed = [path for path in map(Path, recipe.outputs(pipeline)) if path.exists()]
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
    print(f"removed before reproducing: {', '.join(map(str, removed)) or 'nothing'}", flush=True)
    return dvc_live("repro", "--force", "--no-run-cache")
