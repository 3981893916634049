"""A late request gets 504 in the one error shape; an answered one leaves nothing behind."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import importlib.util
import json
import weakref
from typing import Any

import pytest
from bentoml._internal.server.base_app import BaseAppFactory
from bentoml._internal.server.http import traffic

from {{ cookiecutter.package_name }}.serving.http_guard import (
    RequestTimeout,
    install_request_timeout,
)

# What an outer middleware (BentoML's tracing) puts in the request's context: its span.
CURRENT_SPAN: contextvars.ContextVar[Any] = contextvars.ContextVar("current_span")


class Span:
    """Stands for a request's trace span: something only the request should keep alive."""


def call(middleware_class: type, app: Any, timeout: float) -> tuple[list[dict], bool]:
    """One HTTP request through the middleware, the way BentoML calls it: inside a context
    that holds the request's span. Returns the messages sent and whether anything still
    holds the span once the request is over (checked while the event loop still runs).
    """
    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def request() -> Any:
        span = Span()
        CURRENT_SPAN.set(span)
        middleware = middleware_class(app, timeout=timeout)
        await middleware({"type": "http", "method": "POST", "path": "/predict"}, receive, send)
        return weakref.ref(span)

    async def main() -> bool:
        # As in a busy server, another timer is due first: a cancelled timer behind it stays
        # in the event loop's queue, with whatever context it holds, until it comes due.
        asyncio.get_running_loop().call_later(timeout / 2, lambda: None)
        span = await asyncio.create_task(request(), context=contextvars.Context())
        await asyncio.sleep(0)
        gc.collect()
        return span() is not None

    return sent, asyncio.run(main())


async def answering(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"[]"})


def test_an_answered_request_is_passed_through_and_leaves_nothing_of_itself_behind():
    sent, kept = call(RequestTimeout, answering, timeout=60)
    assert [message.get("status") for message in sent] == [200, None]
    assert not kept, "the timer still holds the request's context"


def bentoml_timeout_middleware() -> type:
    """BentoML's own class, from a fresh copy of its module: importing the service installs
    RequestTimeout in its place for the rest of the session."""
    spec = importlib.util.spec_from_file_location("bentoml_traffic", traffic.__file__)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TimeoutMiddleware


def test_bentoml_s_own_timeout_keeps_an_answered_request_until_it_fires():
    """Why RequestTimeout exists. If this fails, BentoML fixed it: drop RequestTimeout."""
    sent, kept = call(bentoml_timeout_middleware(), answering, timeout=60)
    assert [message.get("status") for message in sent] == [200, None]
    assert kept


def test_a_request_not_answered_in_time_gets_504_in_the_one_error_shape_and_is_cancelled():
    cancelled = []

    async def hanging(scope: Any, receive: Any, send: Any) -> None:
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    sent, _ = call(RequestTimeout, hanging, timeout=0.05)
    assert sent[0]["status"] == 504
    body = json.loads(b"".join(message.get("body", b"") for message in sent))
    assert body == {
        "error": "Not answered within 0.05 seconds (serve.request_timeout_s)",
        "detail": [],
    }
    assert cancelled == [True]


def test_an_app_that_fails_before_answering_raises_at_once_not_after_the_timeout():
    async def failing(scope: Any, receive: Any, send: Any) -> None:
        raise ValueError("bug")

    with pytest.raises(ValueError, match="bug"):
        call(RequestTimeout, failing, timeout=5)


def test_install_makes_bentoml_build_request_timeout(monkeypatch):
    monkeypatch.setattr(traffic, "TimeoutMiddleware", bentoml_timeout_middleware())
    install_request_timeout()

    class Factory(BaseAppFactory):
        name = "test"

    built = Factory(timeout=20.0).middlewares
    assert [(item.cls, item.kwargs) for item in built] == [(RequestTimeout, {"timeout": 20.0})]
