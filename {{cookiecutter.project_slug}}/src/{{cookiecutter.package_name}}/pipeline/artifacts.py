"""Save and load the model with skops: a format that does not execute arbitrary code on load.

Loading trusts skops' own safe defaults plus the exact type names in
`modeling/model.py:TRUSTED_TYPES`, never a whole namespace: a file holding any other type
(`builtins.eval`, `numpy.vectorize`, ...) is refused at every load, naming the type.

Saving is byte-for-byte deterministic: the same data, params and code give the same file,
hence the same DVC hash, so CI can check that the committed dvc.lock is what it reproduces,
on a machine with any number of cores.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sklearn.pipeline import Pipeline

from ..config import MODEL_FILE
from ..errors import UserError
from ..modeling.model import TRUSTED_TYPES

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
OBJECT_ID = re.compile(r'"__id__": (\d+)|"(\d+)\.npy"')


def canonical_skops(raw: bytes) -> bytes:
    """Rewrite a skops archive without its run-specific parts.

    skops keys shared objects and array files by Python object id and stamps the current
    time; ids are renumbered in order of first appearance and timestamps fixed. Entries are
    stored uncompressed, since compressed bytes may differ between zlib builds.
    """
    with zipfile.ZipFile(io.BytesIO(raw)) as source:
        schema = source.read("schema.json").decode()
        renumbered: dict[str, str] = {}
        for match in OBJECT_ID.finditer(schema):
            original = match.group(1) or match.group(2)
            renumbered.setdefault(original, str(len(renumbered) + 1))

        def replace(match: re.Match[str]) -> str:
            if match.group(1):
                return f'"__id__": {renumbered[match.group(1)]}'
            return f'"{renumbered[match.group(2)]}.npy"'

        files = {
            f"{renumbered.get(name.removesuffix('.npy'), name.removesuffix('.npy'))}.npy"
            if name.endswith(".npy")
            else name: source.read(name)
            for name in source.namelist()
            if name != "schema.json"
        }
        files["schema.json"] = OBJECT_ID.sub(replace, schema).encode()
    target = io.BytesIO()
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_STORED) as archive:
        for name in sorted(files):
            archive.writestr(zipfile.ZipInfo(name, date_time=ZIP_EPOCH), files[name])
    return target.getvalue()


def checked_types(untrusted: list[str], source: object) -> list[str]:
    """The types skops asks about, when each is in TRUSTED_TYPES; else refuse, naming them."""
    refused = sorted(set(untrusted) - TRUSTED_TYPES)
    if refused:
        raise UserError(
            f"{source} holds types this project does not trust, so it was refused: "
            f"{', '.join(refused)}. If they are yours and safe, add their exact names to "
            "TRUSTED_TYPES in modeling/model.py"
        )
    return untrusted


def without_thread_counts(model: Pipeline) -> Pipeline:
    """Forget the thread count a fit recorded, so the file does not depend on the machine.

    HistGradientBoosting's bin mapper stores the number of OpenMP threads it was fitted
    with; None means "all available" when the model is used, which is what a served model
    wants anyway. The fitted trees and bins do not depend on the thread count.
    """
    for _, step in model.steps:
        mapper = getattr(step, "_bin_mapper", None)
        if mapper is not None and hasattr(mapper, "n_threads"):
            mapper.n_threads = None
    return model


def for_serving(model: Pipeline) -> Pipeline:
    """Predict on one thread: a served model call is a small batch, and the server's workers
    are its parallelism.

    Training uses every core (n_jobs=-1), and the file keeps that setting; at serving time
    joblib's threads would cost more than the batch (measured on 2 cores: a 100-tree forest
    took 28.6 ms per call of 1 to 100 rows with n_jobs=-1, 9.3 to 11.5 ms with 1).
    """
    for _, step in model.steps:
        if "n_jobs" in step.get_params(deep=False):
            step.set_params(n_jobs=1)
    return model


@contextmanager
def one_warning_filter() -> Iterator[None]:
    """Run a served model call under a single warnings filter, restoring the process's after.

    scikit-learn's joblib wrapper re-applies every active warnings filter once per task (per
    tree of a forest, per ColumnTransformer branch); the serving process has a dozen filters
    from its imports. Measured on the sample model, one `predict` of 8 rows: 8.0 ms under
    the serving process's 12 filters, 5.8 ms under this one (44 filters made the forest alone
    11 ms). Zero filters would not do: sklearn then warns on every tree. The filter list is
    process-wide: meanwhile a warning from another thread meets this filter (shown, not
    raised or hidden), so keep it around the model call alone.
    """
    with warnings.catch_warnings():
        warnings.filters[:] = [("default", None, Warning, None, 0)]
        yield


def save_model(model: Pipeline, path: Path = MODEL_FILE) -> Path:
    """Write the model, unless it holds an untrusted type: then nothing is written."""
    import skops.io as sio

    data = canonical_skops(sio.dumps(without_thread_counts(model)))
    checked_types(sio.get_untrusted_types(data=data), "the trained model")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def trusted_types(path: Path = MODEL_FILE) -> list[str]:
    """The types in the file that skops asks about, once each is found in TRUSTED_TYPES."""
    import skops.io as sio

    if not path.exists():
        raise UserError(f"{path} not found: run `make pipeline` (or `make pull-data`) first")
    return checked_types(sio.get_untrusted_types(file=path), path)


def load_model(path: Path = MODEL_FILE) -> Pipeline:
    """The model at `path`, refused before any of it is built when a type is not trusted."""
    import skops.io as sio

    return sio.load(path, trusted=trusted_types(path))
