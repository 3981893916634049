"""`verify-release`: prove this commit holds the reviewed model before anything is built.

A merge to main ships what the pull request reviewed. Nothing here trains: if the pipeline
on main would produce something else, the release stops and says why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..commands import Context

import json

from ..config import MODEL_FILE
from ..errors import UserError
from ..pipeline.lockfile import check_reviewed_model
from ..shell import dvc


def verify_pipeline() -> str:
    """Fail unless `dvc status` is clean and the model file is the one dvc.lock records."""
    changed = json.loads(dvc("status", "--json") or "{}")
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


def verify_release_command(context: Context) -> str:
    return verify_pipeline()
