"""Continuous batching: requests waiting together share one model call, each gets its own
answers back, and a lone request never waits for company."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.serving.batching import (
    QUIET_PASSES,
    ContinuousBatcher,
    Overloaded,
)


class Model:
    """Doubles each item and remembers every call's items."""

    def __init__(self, during: Callable[[list[int]], None] = lambda items: None) -> None:
        self.calls: list[list[int]] = []
        self.during = during

    def __call__(self, items: list[int]) -> list[int]:
        self.calls.append(list(items))
        self.during(items)
        return [item * 2 for item in items]


def run(test: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(test())


def test_requests_waiting_together_share_one_model_call_and_each_gets_its_own_answers():
    model = Model()
    batcher = ContinuousBatcher(model, max_batch_size=100, max_wait_s=10)

    async def test() -> list[list[int]]:
        return await asyncio.gather(batcher([1, 2]), batcher([3]), batcher([4, 5, 6]))

    assert run(test) == [[2, 4], [6], [8, 10, 12]]
    assert model.calls == [[1, 2, 3, 4, 5, 6]]


def test_a_lone_request_is_predicted_after_a_few_passes_of_the_event_loop_not_a_timer():
    model = Model()
    batcher = ContinuousBatcher(model, max_batch_size=100, max_wait_s=10)

    async def test() -> int:
        request = asyncio.ensure_future(batcher([7]))
        passes = 0
        while not request.done():
            await asyncio.sleep(0)
            passes += 1
        assert request.result() == [14]
        return passes

    assert run(test) <= QUIET_PASSES + 3
    assert model.calls == [[7]]


def test_requests_arriving_during_a_model_call_form_the_next_call_even_if_they_straggle():
    """Over HTTP, a request read in one pass of the event loop reaches the batcher in the
    next: here each arrives two passes after the one before, one of them quiet."""
    arrivals: list[asyncio.Future[list[int]]] = []

    async def arrive(item: int, passes: int) -> list[int]:
        for _ in range(passes):
            await asyncio.sleep(0)
        return await batcher([item])

    def arrive_during_the_first_call(items: list[int]) -> None:
        if items == [1]:
            arrivals.extend(asyncio.ensure_future(arrive(n, 2 * (n - 2))) for n in (2, 3, 4, 5))

    model = Model(during=arrive_during_the_first_call)
    batcher = ContinuousBatcher(model, max_batch_size=100, max_wait_s=10)

    async def test() -> list[list[int]]:
        first = await batcher([1])
        return [first, *[await arrival for arrival in arrivals]]

    assert run(test) == [[2], [4], [6], [8], [10]]
    assert model.calls == [[1], [2, 3, 4, 5]]


def test_a_call_never_exceeds_max_batch_size_records_nor_splits_a_request():
    model = Model()
    batcher = ContinuousBatcher(model, max_batch_size=4, max_wait_s=10)

    async def test() -> list[list[int]]:
        return await asyncio.gather(
            batcher([1, 2, 3]), batcher([4, 5]), batcher([6, 7]), batcher([8])
        )

    assert run(test) == [[2, 4, 6], [8, 10], [12, 14], [16]]
    assert model.calls == [[1, 2, 3], [4, 5, 6, 7], [8]]


def test_a_failing_model_call_fails_its_own_requests_only():
    def fail_on_bad(items: list[int]) -> None:
        if 0 in items:
            raise ValueError("the model failed")

    model = Model(during=fail_on_bad)
    batcher = ContinuousBatcher(model, max_batch_size=100, max_wait_s=10)

    async def test() -> tuple[list[Any], list[int]]:
        failed = await asyncio.gather(batcher([0]), batcher([1]), return_exceptions=True)
        return failed, await batcher([2])

    failed, after = run(test)
    assert [str(answer) for answer in failed] == ["the model failed"] * 2
    assert after == [4]


def test_a_model_answering_the_wrong_number_of_results_is_an_error_not_a_shifted_answer():
    batcher = ContinuousBatcher(lambda items: items[:-1], max_batch_size=100, max_wait_s=10)

    async def test() -> None:
        await asyncio.gather(batcher([1]), batcher([2]))

    with pytest.raises(RuntimeError, match="answered 1 results"):
        run(test)


def test_a_request_that_waited_beyond_the_budget_is_refused_without_a_model_call():
    model = Model(during=lambda items: time.sleep(0.2))  # blocks the loop, as predict does
    batcher = ContinuousBatcher(model, max_batch_size=2, max_wait_s=0.05)

    async def test() -> list[Any]:
        return await asyncio.gather(batcher([1, 2]), batcher([3]), return_exceptions=True)

    first, refused = run(test)
    assert first == [2, 4]
    assert isinstance(refused, Overloaded)
    assert "beyond serve.max_latency_ms (50 ms)" in str(refused)
    assert model.calls == [[1, 2]]


def test_a_request_whose_client_left_is_not_predicted():
    model = Model()
    batcher = ContinuousBatcher(model, max_batch_size=100, max_wait_s=10)

    async def test() -> list[int]:
        kept = asyncio.ensure_future(batcher([1]))
        left = asyncio.ensure_future(batcher([2]))
        await asyncio.sleep(0)  # both are queued
        left.cancel()
        return await kept

    assert run(test) == [2]
    assert model.calls == [[1]]
