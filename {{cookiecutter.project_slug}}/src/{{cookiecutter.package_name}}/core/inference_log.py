"""The inference log: a JSON line per served record (id, time, features, prediction), for
`make drift` and `make performance`. Requests only enqueue; a thread writes. The queue is bounded
(a full one drops and counts records) and so is the file: past its size it becomes `<log>.1`."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from .contract import ColumnSpec
from .errors import UserError
from .params import ServeParams

STOP = object()


@dataclass
class InferenceLog:
    path: Path
    capacity: int  # entries waiting for the writer; a full queue drops
    on_drop: Callable[[], None]
    max_bytes: int = 100 * 2**20

    def __post_init__(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.pending: queue.Queue[Any] = queue.Queue(maxsize=self.capacity)
        self.writer = threading.Thread(
            target=self._write, args=(self.pending,), name="inference-log", daemon=True
        )
        self.writer.start()

    def record_batch(
        self,
        records: Sequence[BaseModel],
        columns: list[ColumnSpec],
        predictions: Sequence[Any],
        ids: Sequence[str],
    ) -> None:
        """Never blocks the request: a full queue drops the batch and counts each record."""
        try:
            self.pending.put_nowait((time.time(), records, columns, predictions, ids))
        except queue.Full:
            for _ in records:
                self.on_drop()

    def _write(self, pending: queue.Queue[Any]) -> None:
        """Drain the queue it was started with (bound once: nothing can swap it mid-run); append
        mode keeps lines from several server workers whole."""
        handle = self.path.open("a")
        try:
            while (batch := pending.get()) is not STOP:
                served, records, columns, predictions, ids = batch
                # A validated record's fields are positional: field_<i> is the i-th column.
                fields = [(column.name, f"field_{i}") for i, column in enumerate(columns)]
                for record, prediction, id_ in zip(records, predictions, ids, strict=True):
                    features = {name: record.__dict__[field] for name, field in fields}
                    line = dict(id=id_, time=served, features=features, prediction=prediction)
                    handle.write(json.dumps(line, default=str) + "\n")
                handle.flush()
                handle = self._rotate_if_full(handle)
        finally:
            handle.close()

    def _rotate_if_full(self, handle: Any) -> Any:
        """Past the limit, one writer (under a lock shared by server workers) moves the log
        aside; every writer whose file was moved reopens the path."""
        if self._writes_the_path(handle):
            if os.fstat(handle.fileno()).st_size < self.max_bytes:
                return handle
            older = self.path.with_name(self.path.name + ".1")
            with open(older.with_suffix(".lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if self._writes_the_path(handle):  # no other worker moved it meanwhile
                    os.replace(self.path, older)
        handle.close()
        return self.path.open("a")

    def _writes_the_path(self, handle: Any) -> bool:
        with contextlib.suppress(FileNotFoundError):
            return os.path.samestat(os.stat(self.path), os.fstat(handle.fileno()))
        return False

    def close(self, timeout: float = 5.0) -> None:
        self.pending.put(STOP, timeout=timeout)
        self.writer.join(timeout)


def log_path(params: ServeParams) -> Path | None:
    named = os.environ.get("INFERENCE_LOG") or params.inference_log
    return Path(named) if named else None


def open_log(params: ServeParams, on_drop: Callable[[], None]) -> InferenceLog | None:
    path, limit = log_path(params), int(params.inference_log_max_mb * 2**20)
    return None if path is None else InferenceLog(path, params.inference_log_queue, on_drop, limit)


def read_frame(path: Path, fields: Callable[[int, Any], dict[str, Any] | None]) -> pd.DataFrame:
    """What `fields(number, entry)` picks from each line (None skips it), a list per column as
    each line repeats every name; a last line without its newline is left for the next read."""
    if not path.is_file():
        raise UserError(
            f"{path} not found: pass the service's inference log (INFERENCE_LOG=<file>)"
        )
    columns: dict[str, list[Any]] = {}
    rows = 0
    with path.open(encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as error:
                if not line.endswith("\n"):
                    break
                raise UserError(
                    f"{path} is not JSON lines (one JSON object a line): line {number}: {error}"
                ) from error
            if (values := fields(number, entry)) is None:
                continue
            for name in values:
                if name not in columns:  # first seen here: missing in every line before
                    columns[name] = [None] * rows
            for name, column in columns.items():
                column.append(values.get(name))
            rows += 1
    return pd.DataFrame(columns, index=pd.RangeIndex(rows))
