"""After a deploy: the service is ready and makes one valid prediction, a record from the
data contract sent with the standard library (no data files needed)."""

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


def smoke_command(args: Namespace) -> str:
    url = os.environ.get("SERVICE_URL", "http://127.0.0.1:3000").rstrip("/")
    timeout = float(os.environ.get("SMOKE_TIMEOUT", 60))
    deadline, problem = time.monotonic() + timeout, "no answer"
    while True:
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=5) as response:
                if response.status == 200:
                    break
        except OSError as error:  # URLError is one
            problem = str(getattr(error, "reason", error))
        if time.monotonic() > deadline:
            raise UserError(f"{url}/readyz did not answer 200 within {timeout:.0f} s ({problem})")
        time.sleep(1)
    data = load_params().data
    features, _ = read_columns(data.schema_file, data.target)
    body = json.dumps({"records": [example_record(features)]}).encode()
    request = urllib.request.Request(f"{url}/predict", body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.loads(response.read())
    except urllib.error.HTTPError as error:
        raise UserError(f"{url}/predict answered {error.code}: {error.read()[:500]!r}") from error
    except OSError as error:
        raise UserError(f"{url}/predict did not answer: {error}") from error
    first = answer[0] if isinstance(answer, list) and len(answer) == 1 else {}
    if not (isinstance(first, dict) and {"id", "prediction"} <= set(first)):
        raise UserError(f"{url}/predict answered an unexpected body: {answer!r}")
    return f"{url} is ready and predicts: {first['prediction']!r} (id {first['id']})"
