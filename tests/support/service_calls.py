"""A client of a generated service, as the release tests drive it: the environment it is built
and served in, the in-process predictions it must match, and the requests sent to /predict.

test_service.py (`make serve`) and test_image.py (the container) send the same records and
bad payloads, so both read them from here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from support.projects import package_name, project_env, sh
from support.servers import request

# The model's predictions on the whole test split, in the project's own environment, and the
# split as the JSON records a client sends (NaN as null).
IN_PROCESS = """
import json, sys
import pandas as pd
from {package}.core.model_file import load_model
from {package}.core.params import load_params
from {package}.core.paths import TEST_SPLIT

target = load_params().data.target
features = pd.read_parquet(TEST_SPLIT).drop(columns=[target])
records = [
    {{k: None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for k, v in row.items()}}
    for row in features.to_dict("records")
]
predictions = load_model().predict(features).tolist()
json.dump({{"records": records, "predictions": predictions}}, sys.stdout)
"""


class Predicted(Protocol):
    """A served model with what the in-process model answered: {"records", "predictions"}."""

    expected: dict[str, Any]


def served_env(root: Path) -> dict[str, str]:
    """A user's shell, with bentos and models in a store of this test's own, not ~/bentoml."""
    return {**project_env(), "BENTOML_HOME": str(root / "bentoml"), "BENTOML_DO_NOT_TRACK": "true"}


def in_process(project: Path, env: dict[str, str]) -> dict[str, Any]:
    """{"records": the test split as a client sends it, "predictions": the model's own}."""
    script = IN_PROCESS.format(package=package_name(project))
    return json.loads(
        sh(["uv", "run", "--locked", "python", "-c", script], project, env=env).stdout
    )


def records_body(*records: dict[str, Any], **extra: Any) -> bytes:
    """The JSON body of a predict request: the records, and any extra top-level fields."""
    return json.dumps({"records": list(records), **extra}).encode()


def predict(url: str, records: list[dict[str, Any]] | bytes) -> tuple[int, Any]:
    """POST records (or a body as given, malformed ones too) to {url}/predict: (status, body)."""
    body = records if isinstance(records, bytes) else records_body(*records)
    return request(f"{url}/predict", body)


def predictions(url: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers to a request that must succeed: any status but 200 fails the test."""
    status, body = predict(url, records)
    assert status == 200, (status, body)
    return body


def valid_record(served: Predicted) -> dict[str, Any]:
    """The first test record with every field present."""
    return dict(next(r for r in served.expected["records"] if None not in r.values()))


def column_of_kind(served: Predicted, kind: type) -> str:
    """The first feature column whose values are of `kind` (int, float or str)."""
    return next(name for name, value in valid_record(served).items() if type(value) is kind)
