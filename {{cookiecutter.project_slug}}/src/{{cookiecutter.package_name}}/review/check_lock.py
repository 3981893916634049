"""`check-lock`: after CI reproduced the pipeline, the committed lock and metrics are unchanged."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..commands import Context

from ..config import LOCK_FILE, METRICS_FILE
from ..errors import UserError
from ..vcs import uncommitted


def check_lock() -> str:
    changed = uncommitted([LOCK_FILE, METRICS_FILE])
    if changed:
        raise UserError(
            f"{', '.join(changed)} differ from what this run reproduced: run `make pipeline` "
            "and commit dvc.lock (and metrics.json), so main records the model that was reviewed"
        )
    return "dvc.lock and metrics.json match the reproduced pipeline"


def check_lock_command(context: Context) -> str:
    return check_lock()
