"""A cap on request bodies, ahead of BentoML's parsing.

The largest valid request is bounded (serve.max_batch_size records, each field bounded by the
contract), but BentoML reads any body whole before validating it, so one client could make the
server hold gigabytes. This ASGI middleware answers 413 to a body over the cap: at once from
its Content-Length, or as soon as a body without one grows past it. The rest is never read:
the connection closes, so a client that keeps sending may see a reset instead of the 413.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..core.contract import ColumnSpec
from .http_guard import App, Message, Receive, Scope, Send

NUMBER_BYTES = 32  # the longest JSON number or literal a field may hold, with room to spare
ESCAPED_CHAR_BYTES = 12  # a character outside ASCII may arrive as a surrogate pair of \uXXXX


def max_body_bytes(columns: Sequence[ColumnSpec], max_records: int) -> int:
    """The largest body a valid request can have, whitespace allowed: a valid one never hits
    the cap."""
    record = sum(
        len(json.dumps(column.name)) * 2
        + 16
        + (column.max_length * ESCAPED_CHAR_BYTES if column.max_length else NUMBER_BYTES)
        for column in columns
    )
    return 1024 + max_records * (record + 16)


class BodyLimit:
    """ASGI middleware: 413 for a request body over `max_bytes`, before the app reads it."""

    def __init__(self, app: App, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await self.refuse(send)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > self.max_bytes:
                await self.refuse(send)
                return
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)

    async def refuse(self, send: Send) -> None:
        error = f"request body over {self.max_bytes} bytes: send fewer records per request"
        body = json.dumps({"error": error, "detail": []}).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
