"""Continuous batching: one model call at a time, and every request that arrived while it ran
rides in the next one, up to max_batch_size records. A model call costs about the same for 1
record as for 20; BentoML's adaptive batching waits on a timer, which keeps batches small under
load and makes a lone request wait. Here a lone request goes at once."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from bentoml.exceptions import ServiceUnavailable

# A request read from its socket in one pass of the event loop reaches the batcher in the next,
# so a batch closes after two passes in a row bring no new request.
QUIET_PASSES = 2
# Under a steady stream every pass may bring one more: the batch closes after this many.
MAX_PASSES = 64


class Overloaded(ServiceUnavailable):
    """Waited beyond the latency budget: refused (HTTP 503) rather than queued without bound."""


@dataclass
class Waiting:
    items: Sequence[Any]
    answer: asyncio.Future[list[Any]]
    since: float = field(default_factory=time.monotonic)


@dataclass
class ContinuousBatcher:
    """`await batcher(items)` answers `run`'s results for those items, from one call of `run`
    over every request waiting with them (never split). An exception `run` raises answers
    every request of that call; a request whose client left is dropped before the call."""

    run: Callable[[list[Any]], list[Any]]
    max_batch_size: int
    max_wait_s: float
    queue: deque[Waiting] = field(default_factory=deque, init=False)
    queued_records: int = field(default=0, init=False)
    worker: asyncio.Task[None] | None = field(default=None, init=False)

    async def __call__(self, items: Sequence[Any]) -> list[Any]:
        loop = asyncio.get_running_loop()
        waiting = Waiting(items, loop.create_future())
        self.queue.append(waiting)
        self.queued_records += len(items)
        if self.worker is None or self.worker.done():
            self.worker = loop.create_task(self._work())
        return await waiting.answer

    async def _work(self) -> None:
        while self.queue:
            await self._settle()
            if batch := self._take():
                self._answer(batch)

    async def _settle(self) -> None:
        """Let the event loop run until it has brought every waiting request here."""
        quiet = 0
        for _ in range(MAX_PASSES):
            if quiet >= QUIET_PASSES or self.queued_records >= self.max_batch_size:
                return
            queued = len(self.queue)
            await asyncio.sleep(0)  # one pass of the event loop
            quiet = quiet + 1 if len(self.queue) == queued else 0

    def _take(self) -> list[Waiting]:
        """The oldest requests that fit in max_batch_size records; refuse the stale ones."""
        batch: list[Waiting] = []
        records, now = 0, time.monotonic()
        while self.queue:
            waiting = self.queue[0]
            if batch and records + len(waiting.items) > self.max_batch_size:
                break
            self.queue.popleft()
            self.queued_records -= len(waiting.items)
            if waiting.answer.done():  # its client went away
                continue
            if (waited := now - waiting.since) > self.max_wait_s:
                message = (
                    f"overloaded: the request waited {waited * 1000:.0f} ms for the model, "
                    f"beyond serve.max_latency_ms ({self.max_wait_s * 1000:.0f} ms); retry later"
                )
                waiting.answer.set_exception(Overloaded(message))
                continue
            batch.append(waiting)
            records += len(waiting.items)
        return batch

    def _answer(self, batch: list[Waiting]) -> None:
        # No other task runs during `run`: every answer of the batch is still pending.
        try:
            results = self.run([item for waiting in batch for item in waiting.items])
            if len(results) != sum(len(waiting.items) for waiting in batch):
                raise RuntimeError(f"the batch function answered {len(results)} results")
        except Exception as error:  # each request of this batch gets it
            for waiting in batch:
                waiting.answer.set_exception(error)
            return
        start = 0
        for waiting in batch:
            waiting.answer.set_result(results[start : start + len(waiting.items)])
            start += len(waiting.items)
