"""Save and load the model with skops: a format that does not execute arbitrary code on load.

Loading trusts only types from sklearn, numpy, scipy, and the standard library;
anything else in the file is refused with the list of types, instead of being run.
"""

from __future__ import annotations

from pathlib import Path

from sklearn.pipeline import Pipeline

from .config import MODEL_FILE
from .errors import UserError

TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "collections.")


def save_model(model: Pipeline, path: Path = MODEL_FILE) -> Path:
    import skops.io as sio

    path.parent.mkdir(parents=True, exist_ok=True)
    sio.dump(model, path)
    return path


def trusted_types(path: Path = MODEL_FILE) -> list[str]:
    """The types in the file that skops asks about, once each is checked against our allowlist."""
    import skops.io as sio

    if not path.exists():
        raise UserError(f"{path} not found: run `make pipeline` (or `make pull-data`) first")
    unknown = sio.get_untrusted_types(file=path)
    refused = [name for name in unknown if not name.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise UserError(f"{path} contains types this project does not trust: {refused}")
    return unknown


def load_model(path: Path = MODEL_FILE) -> Pipeline:
    import skops.io as sio

    return sio.load(path, trusted=trusted_types(path))
