"""Release steps before the image: prove main holds the reviewed model, then stage it for BentoML.

A merge to main ships what the pull request reviewed. Nothing here trains: if the pipeline
on main would produce something else, the release stops and says why.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

from .config import METRICS_FILE, MODEL_FILE, PACKAGE, RUN_FILE
from .errors import UserError
from .identity import check_reviewed_model, model_tag


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], capture_output=True, text=True, check=False)


def verify_pipeline() -> str:
    """Fail unless `dvc status` is clean and the model file is the one dvc.lock records."""
    result = subprocess.run(
        ["dvc", "status", "--json"], capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise UserError(f"`dvc status` failed: {result.stderr.strip() or result.stdout.strip()}")
    changed = json.loads(result.stdout or "{}")
    if changed:
        stages = ", ".join(sorted(changed))
        raise UserError(
            f"the pipeline on this commit is not the one that was reviewed ({stages} changed "
            "or missing; see `dvc status`). A release never retrains: run `make pipeline` in a "
            "pull request, let the review compare it, merge it, and push its data "
            "(`make push-data`)."
        )
    md5 = check_reviewed_model()
    return f"{MODEL_FILE} is the reviewed model (md5 {md5}); dvc status is clean"


def bento_version() -> str:
    """The git commit SHA; `-dirty` when tracked files differ from it."""
    head = _git("rev-parse", "HEAD")
    if head.returncode != 0:
        raise UserError(
            "no git commit yet: the bento version is the commit SHA, so commit first "
            "(`git add -A && git commit`)"
        )
    dirty = _git("status", "--porcelain", "--untracked-files=no").stdout.strip()
    return head.stdout.strip() + ("-dirty" if dirty else "")


def _labels(md5: str, sha: str) -> dict[str, str]:
    labels = {"dvc_md5": md5, "git_sha": sha}
    if RUN_FILE.exists():
        run = json.loads(RUN_FILE.read_text())
        labels["mlflow_run_id"] = str(run.get("run_id", ""))
    return labels


def stage_bento() -> str:
    """Save the reviewed model into the BentoML model store, drop a stale bento of the same
    version (a rebuild of a dirty tree), and return the bento version for `bentoml build`."""
    import bentoml
    from bentoml.exceptions import NotFound

    md5 = check_reviewed_model()
    version = bento_version()
    tag = model_tag()
    try:
        bentoml.models.get(tag)
    except NotFound:
        metrics = json.loads(METRICS_FILE.read_text()) if METRICS_FILE.exists() else {}
        with bentoml.models.create(
            tag,
            labels=_labels(md5, version),
            metadata={k: v for k, v in metrics.items() if isinstance(v, int | float)},
        ) as model:
            shutil.copyfile(MODEL_FILE, model.path_of(MODEL_FILE.name))
        print(f"saved {MODEL_FILE} as BentoML model {tag}", file=sys.stderr)
    try:
        bentoml.bentos.delete(f"{PACKAGE}:{version}")
        print(f"replaced the earlier bento {PACKAGE}:{version}", file=sys.stderr)
    except NotFound:
        pass
    return version


def bento_path() -> str:
    """The directory of the bento built from this commit. `bentoml serve` takes it as the
    container does: given the tag, it would import this checkout's package instead."""
    import bentoml
    from bentoml.exceptions import NotFound

    tag = f"{PACKAGE}:{bento_version()}"
    try:
        return str(bentoml.bentos.get(tag).path)
    except NotFound as error:
        raise UserError(f"no bento {tag}: run `make bento` first") from error
