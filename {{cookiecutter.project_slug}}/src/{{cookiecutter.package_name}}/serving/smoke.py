"""A smoke test of a running service, for after a deploy: ready, and one valid prediction.
The record comes from the data contract and HTTP from the standard library, so it runs
wherever the project is installed, without data files."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from argparse import Namespace

from ..core.contract import read_columns
from ..core.errors import UserError
from ..core.params import load_params
from .payload import example_record

DEFAULT_URL = "http://127.0.0.1:3000"
READY_TIMEOUT_SECONDS = 60.0


def _wait_ready(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    problem = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError) as error:
            problem = str(getattr(error, "reason", error))
        time.sleep(1)
    raise UserError(f"{url}/readyz did not answer 200 within {timeout:.0f} s ({problem})")


def smoke_command(args: Namespace) -> str:
    """Wait for /readyz, then POST one record to /predict and expect one prediction and its id."""
    params = load_params()
    url = os.environ.get("SERVICE_URL", DEFAULT_URL).rstrip("/")
    _wait_ready(url, float(os.environ.get("SMOKE_TIMEOUT", READY_TIMEOUT_SECONDS)))
    features, _ = read_columns(params.data.schema_file, params.data.target)
    body = json.dumps({"records": [example_record(features)]}).encode()
    request = urllib.request.Request(
        f"{url}/predict", data=body, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise UserError(f"{url}/predict answered {error.code}: {error.read()[:500]!r}") from error
    except (urllib.error.URLError, OSError) as error:
        raise UserError(f"{url}/predict did not answer: {error}") from error
    if not (
        isinstance(answer, list) and len(answer) == 1 and {"id", "prediction"} <= set(answer[0])
    ):
        raise UserError(f"{url}/predict answered an unexpected body: {answer!r}")
    return f"{url} is ready and predicts: {answer[0]['prediction']!r} (id {answer[0]['id']})"
