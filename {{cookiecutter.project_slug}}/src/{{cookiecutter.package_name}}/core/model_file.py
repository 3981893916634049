"""The model file, skops: loading trusts only its safe defaults and the exact names in
modeling/model.py's TRUSTED_TYPES. Saving is byte-for-byte deterministic, so CI can check that
the committed dvc.lock is what it reproduces on any machine."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from sklearn.pipeline import Pipeline

from ..modeling.model import TRUSTED_TYPES
from .errors import UserError
from .paths import MODEL_FILE

# What loading and calling a model file needs: logged to MLflow, pinned in the image.
MODEL_PACKAGES = ("scikit-learn", "skops", "pandas", "numpy", "scipy")
OBJECT_ID = re.compile(r'"__id__": (\d+)|"(\d+)\.npy"')


def canonical_skops(raw: bytes) -> bytes:
    """The skops archive without its run-specific parts: object ids (which key shared objects
    and array files) renumbered in order of first appearance, timestamps fixed, and entries
    stored uncompressed, since compressed bytes may differ between zlib builds."""
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        files = {name: source.read(name) for name in source.namelist()}
    schema = files.pop("schema.json").decode()
    found = dict.fromkeys(match[1] or match[2] for match in OBJECT_ID.finditer(schema))
    ids = {old: str(new) for new, old in enumerate(found, start=1)}

    def renumber(match: re.Match[str]) -> str:  # the match's only digits are its id
        return match[0].replace(match[1] or match[2], ids[match[1] or match[2]])

    # The array files are named "N.npy" as schema.json refers to them.
    files = {OBJECT_ID.sub(renumber, f'"{name}"')[1:-1]: data for name, data in files.items()}
    files["schema.json"] = OBJECT_ID.sub(renumber, schema).encode()
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), files[name])
    return target.getvalue()


def checked_types(untrusted: list[str], source: object) -> list[str]:
    """The types skops asks about, when each is in TRUSTED_TYPES; else refuse, naming them."""
    if refused := sorted(set(untrusted) - TRUSTED_TYPES):
        raise UserError(
            f"{source} holds types this project does not trust, so it was refused: "
            f"{', '.join(refused)}. If they are yours and safe, add their exact names to "
            "TRUSTED_TYPES in modeling/model.py"
        )
    return untrusted


def without_thread_counts(model: Pipeline) -> Pipeline:
    """Forget the OpenMP thread count HistGradientBoosting's bin mapper recorded at fit: None
    ("all available") keeps the file machine-independent; the fitted trees do not use it."""
    for _, step in model.steps:
        if hasattr(mapper := getattr(step, "_bin_mapper", None), "n_threads"):
            mapper.n_threads = None
    return model


def save_model(model: Pipeline, path: Path = MODEL_FILE) -> Path:
    """Write the model, unless it holds an untrusted type: then nothing is written."""
    import skops.io as sio

    data = canonical_skops(sio.dumps(without_thread_counts(model)))
    checked_types(sio.get_untrusted_types(data=data), "the trained model")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def trusted_types(path: Path = MODEL_FILE) -> list[str]:
    import skops.io as sio

    if not path.exists():
        raise UserError(f"{path} not found: run `make pipeline` (or `make pull-data`) first")
    return checked_types(sio.get_untrusted_types(file=path), path)


def load_model(path: Path = MODEL_FILE) -> Pipeline:
    import skops.io as sio

    return sio.load(path, trusted=trusted_types(path))
