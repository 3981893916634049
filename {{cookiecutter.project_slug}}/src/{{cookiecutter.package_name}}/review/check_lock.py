"""`check-lock`: CI recomputed every stage (`make reproduce`, no cache) and training is
deterministic, so an honest PR's committed dvc.lock and metrics.json are what CI reproduced."""

from __future__ import annotations

from argparse import Namespace

from ..core.errors import UserError
from ..core.git import file_at, uncommitted
from ..core.lockfile import recorded_outputs
from ..core.paths import LOCK_FILE, METRICS_FILE


def check_lock_command(args: Namespace) -> str:
    changed = uncommitted([LOCK_FILE, METRICS_FILE])
    if not changed:
        return "dvc.lock and metrics.json are exactly what CI reproduced"
    committed = recorded_outputs(file_at("HEAD", LOCK_FILE) or "")
    reproduced = recorded_outputs(LOCK_FILE.read_text()) if LOCK_FILE.exists() else {}
    found = [  # each output whose reproduced md5 is not the committed one
        f"{path}: committed md5 {committed.get(path, '(none)')}, CI reproduced {md5}"
        for path, md5 in sorted(reproduced.items())
        if committed.get(path) != md5
    ]
    if str(METRICS_FILE) in changed:
        found.append(f"{METRICS_FILE}: the committed numbers are not the ones CI computed")
    found = found or [f"{name} differs from what CI reproduced" for name in changed]
    report = "\n".join(f"  - {line}" for line in found)
    raise UserError(
        "CI retrained from this PR's data, code and params and got other outputs than the "
        f"PR committed:\n{report}\nFix: run `make pipeline` and commit dvc.lock and "
        "metrics.json, so the review compares, and main ships, the model this code produces."
    )
