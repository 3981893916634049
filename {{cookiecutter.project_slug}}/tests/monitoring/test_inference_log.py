"""The inference log writes every served record for drift, and never grows without bound."""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path

from {{ cookiecutter.package_name }}.core.contract import (
    read_columns,
)
from {{ cookiecutter.package_name }}.core.inference_log import (
    InferenceLog,
    open_log,
)
from {{ cookiecutter.package_name }}.core.params import (
    Params,
    ServeParams,
)
from {{ cookiecutter.package_name }}.serving.payload import (
    prediction_ids,
    record_model,
)


def records(params: Params, raw, count: int):
    features, _ = read_columns(params.data.schema_file, params.data.target)
    model = record_model(features)
    rows = raw.drop(columns=[params.data.target]).head(count)
    clean = rows.astype(object).where(rows.notna(), None).to_dict(orient="records")
    return features, [model.model_validate(row) for row in clean]


def wait_for_lines(path: Path, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {count} lines")


def test_each_record_is_written_with_its_id_features_and_prediction(params, raw, tmp_path):
    features, served = records(params, raw, 5)
    log = InferenceLog(tmp_path / "log.jsonl", capacity=100, on_drop=lambda: None)
    log.record_batch(served[:1], features, [0], ["single-0"])
    log.record_batch(served[1:], features, [1, 2, 3, 4], prediction_ids(4))
    log.close()
    entries = wait_for_lines(tmp_path / "log.jsonl", 5)
    assert [entry["prediction"] for entry in entries] == [0, 1, 2, 3, 4]
    ids = [entry["id"] for entry in entries]
    assert ids[0] == "single-0" and len(set(ids)) == 5
    assert [i.rsplit("-", 1)[1] for i in ids[1:]] == ["0", "1", "2", "3"]
    assert set(entries[0]["features"]) == {column.name for column in features}


def test_a_full_queue_drops_and_counts_instead_of_blocking(params, raw, tmp_path):
    features, served = records(params, raw, 1)
    dropped = []
    log = InferenceLog(tmp_path / "log.jsonl", capacity=1, on_drop=lambda: dropped.append(1))
    # A stalled disk: the writer waits on the old queue while this one stays full.
    log.pending = queue.Queue(maxsize=1)
    log.pending.put_nowait({"waiting": True})
    started = time.perf_counter()
    for _ in range(1000):
        log.record_batch(served, features, [0], ["x-0"])
    assert len(dropped) == 1000
    assert time.perf_counter() - started < 1.0, "recording must not block the request path"


def test_the_log_is_off_unless_a_file_is_named(monkeypatch, tmp_path):
    monkeypatch.delenv("INFERENCE_LOG", raising=False)
    assert open_log(ServeParams(), on_drop=lambda: None) is None
    monkeypatch.setenv("INFERENCE_LOG", str(tmp_path / "on.jsonl"))
    assert isinstance(open_log(ServeParams(), on_drop=lambda: None), InferenceLog)


def test_the_log_rotates_past_its_size_so_the_disk_holds_at_most_two_files(params, raw, tmp_path):
    features, served = records(params, raw, 10)
    path = tmp_path / "log.jsonl"
    log = InferenceLog(path, capacity=100, on_drop=lambda: None, max_bytes=1500)
    for start in range(0, 10, 2):  # five batches of two records
        log.record_batch(served[start : start + 2], features, [0, 1], prediction_ids(2))
    log.close()
    older = path.with_name("log.jsonl.1")
    assert older.exists(), "rotated past 1,500 bytes"
    batch = 2 * max(len(line) for line in older.open())  # one batch's bytes, at most
    for kept in (path, older):  # each file stops growing at the first batch past the limit
        assert kept.stat().st_size < 1500 + batch
    lines = older.read_text().splitlines() + path.read_text().splitlines()
    ids = [json.loads(line)["id"] for line in lines]
    assert len(ids) == len(set(ids)) and len(ids) <= 10  # the oldest rotated out, none twice


def test_the_size_limit_comes_from_params(params, tmp_path, monkeypatch):
    monkeypatch.setenv("INFERENCE_LOG", str(tmp_path / "log.jsonl"))
    serve = ServeParams(inference_log_max_mb=0.5)
    log = open_log(serve, lambda: None)
    assert log is not None and log.max_bytes == 2**19
    log.close()
