"""`verify-release`: prove this commit holds the reviewed model before anything is built.

A merge to main ships what the pull request reviewed. The release job retrains from main's
data, code and params (`make reproduce`) and `check-lock` proves it got the reviewed md5;
this then checks that the workspace is exactly that pipeline and that model.
"""

from __future__ import annotations

import json
from argparse import Namespace

from ..core.errors import UserError
from ..core.lockfile import check_reviewed_model
from ..core.paths import MODEL_FILE
from ..core.shell import dvc


def verify_release_command(args: Namespace) -> str:
    """Fail unless `dvc status` is clean and the model file is the one dvc.lock records."""
    if changed := json.loads(dvc("status", "--json") or "{}"):
        raise UserError(
            f"the pipeline on this commit is not the one that was reviewed "
            f"({', '.join(sorted(changed))} changed or missing; see `dvc status`). Run "
            "`make pipeline` in a pull request, let the review compare it, merge it, and push "
            "its data (`make push-data`)."
        )
    md5 = check_reviewed_model()
    return f"{MODEL_FILE} is the reviewed model (md5 {md5}); dvc status is clean"
