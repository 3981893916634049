"""The service's HTTP contract, as ASGI middleware: BentoML answers errors in several shapes,
parses any Content-Type it knows (a multipart body without a boundary is a 500) and reads any
body whole. `HttpGuard` answers 415 to a POST that is not JSON, 413 to a body larger than any
valid request (never read whole), and rewrites every error, an escaped exception included, into
`{"error": str, "detail": [{loc, msg, type}]}`, as /docs.json then documents."""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.client import responses
from typing import Any

from pydantic import BaseModel, Field
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.contract import ColumnSpec

JSON = "application/json"
NUMBER_BYTES = 32  # the longest JSON number or literal a field may hold, with room to spare
ESCAPED_CHAR_BYTES = 12  # a character outside ASCII may arrive as a surrogate pair of \uXXXX
logger = logging.getLogger(__name__)


class ErrorDetail(BaseModel):
    loc: list[str | int] = Field(description='Where: e.g. ["records", 0, "<column>"]')
    msg: str
    type: str = Field(description="pydantic's error type")


class Error(BaseModel):
    """Every error the service answers, whatever the endpoint or status."""

    error: str = Field(description="What went wrong, in one line")
    detail: list[ErrorDetail] = Field(
        description="One entry per invalid field; empty when no field is to blame"
    )


# Each error status the service may answer, documented once and referenced by endpoints.
ERROR_RESPONSES = {
    HTTPStatus.BAD_REQUEST: "The body breaks the request model: `detail` names each field",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The body is larger than any valid request",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not `application/json`",
    HTTPStatus.INTERNAL_SERVER_ERROR: "A bug in the service; the server log has the traceback",
    HTTPStatus.SERVICE_UNAVAILABLE: "Not ready yet, or overloaded: retry later",
    HTTPStatus.GATEWAY_TIMEOUT: "Not answered within serve.request_timeout_s: retry later",
}
TEXT = {"text/plain": {"schema": {"type": "string"}}}


def error_body(message: str, detail: Iterable[dict[str, Any]] = ()) -> bytes:
    return json.dumps({"error": message, "detail": list(detail)}).encode()


def max_body_bytes(columns: Sequence[ColumnSpec], max_records: int) -> int:
    """The largest body a valid request can have, whitespace allowed."""
    record = sum(
        len(json.dumps(column.name)) * 2
        + 16
        + (column.max_length * ESCAPED_CHAR_BYTES if column.max_length else NUMBER_BYTES)
        for column in columns
    )
    return 1024 + max_records * (record + 16)


def reshape(status: int, body: bytes) -> bytes:
    """Any error body BentoML or Starlette wrote, in the one documented shape."""
    phrase = responses.get(status, "Error")
    try:
        original: Any = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return error_body(text if 0 < len(text) <= 500 else phrase)
    if isinstance(original, list) and original and isinstance(original[0], dict):
        original = original[0]  # BentoML writes some 4xx as a one-item list
    if not isinstance(original, dict):
        return error_body(phrase)
    items = original.get("detail")
    detail = [  # pydantic's error objects, reduced to the documented keys
        {
            "loc": [part if isinstance(part, int) else str(part) for part in item.get("loc", [])],
            "msg": str(item.get("msg", "")),
            "type": str(item.get("type", "")),
        }
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return error_body(str(original.get("error", original.get("detail", phrase))), detail)


def document(spec: dict[str, Any]) -> dict[str, Any]:
    """BentoML's OpenAPI document, corrected to what the service with this guard answers."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("InvalidArgument", "NotFound", "InternalServerError"):
        schemas.pop(name, None)
    schemas["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schemas["Error"].pop("$defs"))
    error = {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
    components["responses"] = {
        str(status.value): {"description": description, "content": error}
        for status, description in ERROR_RESPONSES.items()
    }
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for code in ("400", "404", "500"):  # BentoML's, in the shape it documents
                responses.pop(code, None)
            if method == "post" and "requestBody" in operation:
                operation["requestBody"]["required"] = True
                codes: Iterable[int] = ERROR_RESPONSES  # a POST may meet every one
            else:  # /metrics and the health endpoints
                text = "Prometheus text format" if path == "/metrics" else "Healthy (or ready)"
                responses["200"] = {"description": text, "content": TEXT}
                codes = (500,) if path == "/metrics" else (503, 500)
            for code in codes:
                responses[str(code)] = {"$ref": f"#/components/responses/{code}"}
    return spec


async def _answer(send: Send, status: int, body: bytes, headers: Iterable[Any] = ()) -> None:
    headers = [*headers, (b"content-type", JSON.encode()), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@dataclass
class HttpGuard:
    app: ASGIApp
    json_routes: Collection[str]  # the POST endpoints: /predict
    max_bytes: int  # the largest body any request may have

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path, headers = scope["path"], Headers(scope=scope)
        media_type = headers.get("content-type", JSON).split(";")[0].strip().lower()
        if scope["method"] == "POST" and path in self.json_routes and media_type != JSON:
            refusal = f"POST {path} takes {JSON}, not {media_type!r}"
            return await _answer(send, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, error_body(refusal))
        declared = headers.get("content-length", "")
        body, more = bytearray(), True
        too_large = declared.isdigit() and int(declared) > self.max_bytes
        while more and not too_large:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            body += message.get("body", b"")
            more, too_large = message.get("more_body", False), len(body) > self.max_bytes
        if too_large:  # declared, or grown past the cap: the rest is never read
            refusal = f"request body over {self.max_bytes} bytes: send fewer records per request"
            return await _answer(send, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, error_body(refusal))
        # The body read, BentoML gets it back in one message, then the client's next ones.
        pending = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            return pending.pop() if pending else await receive()

        await self._guarded(scope, replay, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass 2xx/3xx (and any HEAD) through; buffer an error or /docs.json, send it rewritten."""
        docs = scope["path"] == "/docs.json" and scope["method"] == "GET"
        started, held, chunks = False, None, []

        async def rewriting(message: Message) -> None:
            nonlocal started, held
            if message["type"] == "http.response.start":
                if (message["status"] < 400 and not docs) or scope["method"] == "HEAD":
                    started = True
                    await send(message)
                else:
                    held = message
            elif held is None or message["type"] != "http.response.body":
                await send(message)
            else:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    status, body = held["status"], b"".join(chunks)
                    if status >= 400:
                        body = reshape(status, body)
                    else:  # /docs.json
                        body = json.dumps(document(json.loads(body))).encode()
                    own = (b"content-type", b"content-length")  # _answer writes its own
                    headers = [(k, v) for k, v in held.get("headers", []) if k.lower() not in own]
                    started = True
                    await _answer(send, status, body, headers)

        try:
            await self.app(scope, receive, rewriting)
        except Exception:
            if started:
                raise
            logger.exception("Unhandled error on %s %s", scope["method"], scope["path"])
            message = "An unexpected error occurred; the server log has the traceback"
            await _answer(send, HTTPStatus.INTERNAL_SERVER_ERROR, error_body(message))


@dataclass
class RequestTimeout:
    """HTTP 504 in the one error shape, for BentoML's TimeoutMiddleware (same `timeout` keyword):
    its (1.4) timer is never cancelled and its context keeps the trace span alive until it fires,
    so the p99 climbs under load; this one runs in an empty context, cancelled when answered."""

    app: ASGIApp
    timeout: float

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        task, late = asyncio.current_task(), []

        def expire() -> None:
            late.append(True)
            task.cancel()

        loop = asyncio.get_running_loop()
        timer = loop.call_later(self.timeout, expire, context=contextvars.Context())

        async def sending(message: Message) -> None:
            timer.cancel()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except asyncio.CancelledError:
            if not late or task.uncancel():  # or the client went away too
                raise
            message = f"Not answered within {self.timeout:g} seconds (serve.request_timeout_s)"
            await _answer(send, HTTPStatus.GATEWAY_TIMEOUT, error_body(message))
        finally:
            timer.cancel()


def install_request_timeout() -> None:
    """BentoML imports TimeoutMiddleware from `traffic` each time it assembles middlewares."""
    from bentoml._internal.server.http import traffic

    traffic.TimeoutMiddleware = RequestTimeout  # type: ignore[misc]
