"""The inference log: each served record's features, prediction and prediction id, as JSON
lines for drift and performance.

`make drift CURRENT=<log>` reads it back; `make performance LABELS=<csv>` joins labels that
arrive later with it on the prediction id. The request path only enqueues, once per batch;
one background thread writes a line per record. The queue is bounded (in batches), so when
the disk falls behind new records are dropped and counted, never buffered without limit. Off
unless `serve.inference_log` or the INFERENCE_LOG environment variable names a file.
`read_entries` is the one reader of that format, for both commands.
"""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from .contract import ColumnSpec
from .errors import UserError
from .params import ServeParams

STOP = object()


def as_features(record: BaseModel, columns: Sequence[ColumnSpec]) -> dict[str, Any]:
    """A validated request record by column name (its fields are positional: field_<i>)."""
    return {column.name: record.__dict__[f"field_{index}"] for index, column in enumerate(columns)}


class InferenceLog:
    def __init__(self, path: Path, capacity: int, on_drop: Callable[[], None]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.on_drop = on_drop
        self.pending: queue.Queue[Any] = queue.Queue(maxsize=capacity)
        self.writer = threading.Thread(
            target=self._write, args=(self.pending,), name="inference-log", daemon=True
        )
        self.writer.start()

    def record(
        self, record: BaseModel, columns: list[ColumnSpec], prediction: Any, prediction_id: str
    ) -> None:
        """Never blocks the request: a full queue drops the entry and counts it."""
        self.record_batch([record], columns, [prediction], [prediction_id])

    def record_batch(
        self,
        records: Sequence[BaseModel],
        columns: list[ColumnSpec],
        predictions: Sequence[Any],
        ids: Sequence[str],
    ) -> None:
        """One queue entry per batch; the writer thread turns it into one line per record."""
        try:
            self.pending.put_nowait((time.time(), records, columns, predictions, ids))
        except queue.Full:
            for _ in records:
                self.on_drop()

    def _write(self, pending: queue.Queue[Any]) -> None:
        """Drain the queue it was started with (bound once, so nothing can swap it mid-run)."""
        # Append mode: lines from several server workers interleave whole, never torn.
        with self.path.open("a") as handle:
            while (entry := pending.get()) is not STOP:
                if isinstance(entry, tuple):
                    served, records, columns, predictions, ids = entry
                    lines = [
                        {
                            "id": i,
                            "time": served,
                            "features": as_features(r, columns),
                            "prediction": p,
                        }
                        for r, p, i in zip(records, predictions, ids, strict=True)
                    ]
                else:
                    lines = [entry]
                handle.writelines(json.dumps(line, default=str) + "\n" for line in lines)
                handle.flush()

    def close(self, timeout: float = 5.0) -> None:
        self.pending.put(STOP, timeout=timeout)
        self.writer.join(timeout)


def open_log(params: ServeParams, on_drop: Callable[[], None]) -> InferenceLog | None:
    target = os.environ.get("INFERENCE_LOG") or params.inference_log
    return InferenceLog(Path(target), params.inference_log_queue, on_drop) if target else None


def read_entries(path: Path) -> Iterator[tuple[int, Any]]:
    """Each line's number and JSON value, a line at a time, so a reader keeps only what it
    needs and can name the line it refuses.

    A line that is not JSON is an error naming its number, except the last one when it has
    no newline yet: a running service is still writing it, so it is left for the next read.
    Blank lines are skipped.
    """
    if not path.is_file():
        raise UserError(
            f"{path} not found: pass the service's inference log (INFERENCE_LOG=<file>)"
        )
    with path.open(encoding="utf-8") as log:
        for number, line in enumerate(log, start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
            except ValueError as error:
                if not line.endswith("\n"):
                    return
                raise UserError(
                    f"{path} is not JSON lines (one JSON object a line): line {number}: {error}"
                ) from error
            yield number, entry
