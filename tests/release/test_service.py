"""The generated service, for real: `make bento` builds, `make serve` answers over HTTP on
127.0.0.1 with the in-process model's predictions, and every bad payload gets a 4xx naming
the field, never a 500.

One project per task is built and served once per session; the tests only send requests.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.projects import copy_main, package_name, reviewed_md5, sh
from support.servers import free_port, request, start_server, stop, wait_ready
from support.service_calls import (
    column_of_kind,
    in_process,
    predict,
    records_body,
    served_env,
    valid_record,
)

pytestmark = pytest.mark.e2e


@dataclass
class Served:
    project: Path
    url: str
    env: dict[str, str]
    expected: dict[str, Any]  # {"records": [...], "predictions": [...]} from the in-process model
    timings: dict[str, float]


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory, shared_main) -> Iterator[Any]:
    """Per task: a copy of main (pipeline run, committed), `make bento`, `make serve` on a
    free port."""
    running: dict[str, Served | Exception] = {}
    servers: list[subprocess.Popen] = []

    def _served(task: str) -> Served:
        if isinstance(running.get(task), Exception):
            pytest.fail(f"the {task} service failed to start earlier: {running[task]}")
        if task in running:
            return running[task]
        try:
            running[task] = start_service(task)
        except Exception as error:
            running[task] = error
            raise
        return running[task]

    def start_service(task: str) -> Served:
        root = tmp_path_factory.mktemp(f"service-{task}")
        project = copy_main(shared_main(task), root)
        env = served_env(root)
        start = time.monotonic()
        sh(["make", "bento"], project, env=env)
        timings = {"make bento (s)": time.monotonic() - start}
        expected = in_process(project, env)

        port = free_port()
        log = root / "serve.log"
        server = start_server(["make", "serve", f"PORT={port}"], project, env, log)
        servers.append(server)
        url = f"http://127.0.0.1:{port}"
        timings["ready after (s)"] = wait_ready(url, server, log)
        return Served(project, url, env, expected, timings)

    yield _served
    for server in servers:
        stop(server)


def bad_payloads(service: Served) -> dict[str, tuple[bytes, str]]:
    """Each bad payload: (request body, the field its 400 must name)."""
    record = valid_record(service)
    number, real, text = (column_of_kind(service, kind) for kind in (int, float, str))
    without = {k: v for k, v in record.items() if k != number}
    return {
        "wrong-type": (records_body({**record, number: "three"}), number),
        "number-as-text": (records_body({**record, text: 3}), text),
        "missing-field": (records_body(without), number),
        "unknown-field": (records_body({**record, "surprise": 1}), "surprise"),
        "unknown-top-level-field": (records_body(record, extra=1), "extra"),
        "empty-list": (records_body(), "records"),
        "no-records": (b"{}", "records"),
        "invalid-json": (b'{"records": [', "Invalid JSON"),
        "nan": (records_body({**record, real: 1.5}).replace(b"1.5", b"NaN"), real),
        "out-of-range": (records_body({**record, number: 10**9}), number),
        "beyond-max-batch-size": (records_body(*[record] * 1001), "records"),
    }


def scraped_total(url: str, pattern: str) -> float:
    """The sum of every /metrics sample matching `pattern` (one capture: the value), over
    its label sets and workers."""
    status, text = request(f"{url}/metrics")
    assert status == 200
    return sum(float(value) for value in re.findall(pattern, text, re.MULTILINE))


def predict_requests_total(url: str, code: str) -> float:
    return scraped_total(
        url,
        r'^bentoml_service_request_total\{[^}]*endpoint="/predict"[^}]*'
        rf'http_response_code="{code}"[^}}]*\}} ([0-9.e+]+)$',
    )


def model_calls(url: str, package: str) -> tuple[float, float]:
    """(model calls, records predicted) so far, from the service's batch-size histogram."""
    count, total = (
        scraped_total(url, rf"^{package}_batch_records_{kind}(?:{{[^}}]*}})? ([0-9.e+]+)$")
        for kind in ("count", "sum")
    )
    return count, total


def answer_media_type(url: str, records: list[dict[str, Any]]) -> str:
    body = json.dumps({"records": records}).encode()
    headers = {"Content-Type": "application/json"}
    with urllib.request.urlopen(urllib.request.Request(url, body, headers), timeout=60) as answer:
        return answer.headers.get_content_type()


class ServedModel:
    """What every task's service must do. One class per task, so `--dist loadscope` keeps a
    task's tests, and its one project and server, on one worker."""

    task = ""

    def test_predictions_equal_the_in_process_model_on_the_whole_test_split(self, served):
        service = served(self.task)
        records, expected = service.expected["records"], service.expected["predictions"]
        assert len(records) > 100

        status, body = predict(service.url, records)  # the whole split in one request
        assert status == 200, body
        assert [item["prediction"] for item in body] == expected

        # One request per record, 16 at a time: the batcher merges them into shared model
        # calls, and every answer must still go back to its own request.
        package = package_name(service.project)
        calls_before, records_before = model_calls(service.url, package)
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(pool.map(lambda record: predict(service.url, [record]), records))
        assert [status for status, _ in answers] == [200] * len(records)
        assert [body[0]["prediction"] for _, body in answers] == expected
        calls, records_predicted = model_calls(service.url, package)
        assert records_predicted - records_before == len(records), "each record predicted once"
        print(f"{self.task}: {len(records)} requests in {calls - calls_before:.0f} model calls")
        assert calls - calls_before < len(records), "concurrent requests share model calls"
        print(f"{self.task}: {service.timings}")

    def test_answers_are_declared_json(self, served):
        service = served(self.task)
        assert answer_media_type(f"{service.url}/predict", [valid_record(service)]) == (
            "application/json"
        )

    def test_health_endpoints_answer(self, served):
        service = served(self.task)
        for path in ("/livez", "/readyz"):
            assert request(f"{service.url}{path}")[0] == 200, path

    def test_http_contract_holds_under_property_based_fuzzing(self, served):
        """`make fuzz`, as the generated CI runs it: schemathesis generates requests from
        /docs.json (valid and invalid bodies, headers, methods, content types) with every
        check and a fixed seed, bounded in cases and time. 0 failures: no 5xx, every answer
        (errors included) as the document describes it."""
        service = served(self.task)
        env = {**service.env, "SERVICE_URL": service.url}
        started = time.monotonic()
        result = sh(["make", "fuzz"], service.project, check=False, timeout=120, env=env)
        cases = re.search(r"^\s*(\d+) generated, .*$", result.stdout, re.MULTILINE)
        seconds = time.monotonic() - started
        print(f"{self.task}: schemathesis {cases[0].strip() if cases else '?'} in {seconds:.0f} s")
        assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
        assert cases and int(cases[1]) >= 100, result.stdout[-2000:]


@pytest.mark.xdist_group("service-classification")
class TestClassificationService(ServedModel):
    task = "classification"

    @pytest.mark.parametrize(
        "case",
        [
            "wrong-type", "number-as-text", "missing-field", "unknown-field",
            "unknown-top-level-field", "empty-list", "no-records", "invalid-json", "nan",
            "out-of-range", "beyond-max-batch-size",
        ],
    )  # fmt: skip
    def test_bad_payload_gets_400_naming_the_field(self, served, case):
        service = served(self.task)
        payload, field = bad_payloads(service)[case]
        status, body = request(f"{service.url}/predict", payload)
        assert status == 400, (case, status, body)
        assert field in json.dumps(body), (case, body)

    def test_unknown_category_is_predicted_with_a_warning(self, served):
        service = served(self.task)
        record = valid_record(service)
        column = column_of_kind(service, str)
        status, body = predict(service.url, [{**record, column: "never-seen"}, record])
        assert status == 200, body
        assert len(body[0]["warnings"]) == 1, body
        assert column in body[0]["warnings"][0] and "never-seen" in body[0]["warnings"][0]
        assert body[1]["warnings"] == []

    def test_nullable_fields_may_be_omitted_or_null(self, served):
        service = served(self.task)
        record = valid_record(service)
        columns = yaml.safe_load((service.project / "data/schema.yaml").read_text())["columns"]
        nullable = [name for name in record if columns[name].get("nullable")]
        assert nullable, "the sample contract has nullable columns"
        omitted = {k: v for k, v in record.items() if k not in nullable}
        for payload in (omitted, {**record, **dict.fromkeys(nullable)}):
            status, body = predict(service.url, [payload])
            assert status == 200, body

    def test_metrics_count_the_requests(self, served):
        service = served(self.task)
        record = valid_record(service)
        ok_before = predict_requests_total(service.url, "200")
        bad_before = predict_requests_total(service.url, "400")
        for _ in range(5):
            assert predict(service.url, [record])[0] == 200
        for _ in range(3):
            assert predict(service.url, [])[0] == 400
        assert predict_requests_total(service.url, "200") == ok_before + 5
        assert predict_requests_total(service.url, "400") == bad_before + 3

    def test_bento_holds_serving_dependencies_only_and_the_reviewed_model(self, served):
        service = served(self.task)
        package = package_name(service.project)
        path = ["uv", "run", "--locked", package, "bento-path"]
        bento = Path(sh(path, service.project, env=service.env).stdout.strip())
        text = (bento / "env/python/requirements.txt").read_text().lower()
        # Each requirement's first word (after it come its marker and --hash= options), options
        # such as the index URL aside.
        entries = text.replace("\\\n", " ").splitlines()
        lines = [entry.split()[0] for entry in entries if entry.strip() and entry[:2] != "--"]
        names = {re.split(r"[=<>\[]", line)[0] for line in lines}
        assert {"bentoml", "scikit-learn", "skops", "pandas", "numpy", "scipy"} <= names
        assert not names & {"dvc", "mlflow", "mlflow-skinny", "pandera"}, names
        assert all("==" in line for line in lines if "://" not in line), f"all pinned: {lines}"
        manifest = yaml.safe_load((bento / "bento.yaml").read_text())
        head = sh(["git", "rev-parse", "HEAD"], service.project, env=service.env)
        assert manifest["version"] == head.stdout.strip(), "the bento version is the commit SHA"
        models = [model["tag"] for svc in manifest["services"] for model in svc["models"]]
        assert models == [f"{package}:{reviewed_md5(service.project)}"], "named by its md5"


@pytest.mark.xdist_group("service-regression")
class TestRegressionService(ServedModel):
    task = "regression"
