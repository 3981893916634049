"""Which model ships: the one whose md5 dvc.lock records, as the PR review approved. The
BentoML model is named `<package>:<md5>`, so the store, bento and image say which they carry."""

from __future__ import annotations

import hashlib
from pathlib import Path

import yaml

from .errors import UserError
from .params import PACKAGE
from .paths import LOCK_FILE, MODEL_FILE


def recorded_outputs(text: str, kind: str = "outs") -> dict[str, str]:
    """{path: md5} of every stage output (or, with kind="deps", input) in a dvc.lock text."""
    stages = (yaml.safe_load(text) or {}).get("stages") or {}
    return {
        str(out["path"]): str(out["md5"])
        for stage in stages.values()
        for out in stage.get(kind) or []
        if out.get("path") and out.get("md5")
    }


def reviewed_md5(model: Path = MODEL_FILE, lock: Path = LOCK_FILE) -> str:
    if not lock.exists():
        raise UserError(f"{lock} not found: run `make pipeline` and commit {lock}")
    if md5 := recorded_outputs(lock.read_text()).get(model.as_posix()):
        return md5
    raise UserError(f"{lock} records no output {model}: run `make pipeline` and commit {lock}")


def check_reviewed_model(model: Path = MODEL_FILE, lock: Path = LOCK_FILE) -> str:
    expected = reviewed_md5(model, lock)
    if not model.exists():
        raise UserError(
            f"{model} not found: run `make pull-data` to fetch the reviewed model "
            f"(md5 {expected}) from the DVC remote"
        )
    with model.open("rb") as stream:
        actual = hashlib.file_digest(stream, "md5").hexdigest()
    if actual != expected:
        raise UserError(
            f"{model} (md5 {actual}) is not the model {lock} records (md5 {expected}): "
            "run `make pull-data` to fetch the reviewed one, or `make pipeline` and commit "
            f"{lock} to review a new one"
        )
    return expected


def model_tag(model: Path = MODEL_FILE, lock: Path = LOCK_FILE) -> str:
    return f"{PACKAGE}:{reviewed_md5(model, lock)}"
