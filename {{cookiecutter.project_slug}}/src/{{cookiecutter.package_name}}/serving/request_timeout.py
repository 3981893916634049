"""HTTP 504 for a request not answered in time, without keeping every request in memory.

BentoML's TimeoutMiddleware (`traffic.timeout`, BentoML 1.4) arms one timer per request with
`loop.call_later` and never cancels it. The timer keeps a copy of the request's context,
which holds its trace span and all the span refers to, until it fires, whether the request
was answered or not. Under load these pile up and age into the oldest GC generation, so
every full collection scans them all, and the p99 climbs run after run
(benchmarks/results.md has the measurements).

`RequestTimeout` answers the same 504, and in the one error shape (http_guard.py), which
BentoML's does not: it sits outside the service's own middlewares. Its timer runs in an empty
context and is cancelled when the answer starts, so an answered request leaves nothing
behind. `install()` puts it where BentoML builds its own.
"""

from __future__ import annotations

import asyncio
import contextvars

from starlette.responses import Response

from .http_guard import App, Message, Receive, Scope, Send, error_body


class RequestTimeout:
    """Answer 504 when the app has not started answering within `timeout` seconds, and cancel
    it; BentoML's middleware contract (`timeout` keyword, same status)."""

    def __init__(self, app: App, timeout: float) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started: asyncio.Future[bool] = loop.create_future()  # True: answering; False: late
        timer = loop.call_later(
            self.timeout, _settle, started, False, context=contextvars.Context()
        )

        async def sending(message: Message) -> None:
            _settle(started, True)
            timer.cancel()
            await send(message)

        answer = asyncio.ensure_future(self.app(scope, receive, sending))
        answer.add_done_callback(lambda _: (_settle(started, True), timer.cancel()))
        try:
            in_time = await started
        except asyncio.CancelledError:  # the client went away
            answer.cancel()
            timer.cancel()
            raise
        if in_time:
            await answer
            return
        answer.cancel()
        late = f"Not answered within {self.timeout:g} seconds (serve.request_timeout_s)"
        await Response(error_body(late), 504, media_type="application/json")(scope, receive, send)


def _settle(started: asyncio.Future[bool], answering: bool) -> None:
    if not started.done():
        started.set_result(answering)


def install() -> None:
    """Make BentoML build `RequestTimeout` where it builds its TimeoutMiddleware: it imports
    the class from this module each time it assembles a service's middlewares."""
    from bentoml._internal.server.http import traffic

    traffic.TimeoutMiddleware = RequestTimeout  # type: ignore[misc]
