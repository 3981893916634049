"""The service's HTTP contract: one error shape, no 5xx for a bad request, an honest OpenAPI.

BentoML answers errors in several shapes (plain text for 404 and 405, a JSON list for some
4xx, `detail` as a list where its OpenAPI says a string) and parses any Content-Type it
knows, so a multipart body without a boundary becomes a 500. This ASGI middleware, mounted
with BentoML's documented `add_asgi_middleware`, keeps the library untouched and:

- answers 415 to a POST whose Content-Type is not JSON, before BentoML parses the body;
- rewrites every error response into `{"error": str, "detail": [{loc, msg, type}]}`;
- turns an exception that escapes the app into a 500 of that same shape;
- serves /docs.json describing exactly that: bodies required, and each error documented
  once (`components/responses`), referenced by every endpoint.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from http import HTTPStatus
from typing import Any

# The ASGI types, for every middleware of the service.
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

JSON = "application/json"
DOCS_PATH = "/docs.json"
logger = logging.getLogger(__name__)

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every error the service answers, whatever the endpoint or status.",
    "required": ["error", "detail"],
    "properties": {
        "error": {"type": "string", "description": "What went wrong, in one line"},
        "detail": {
            "type": "array",
            "description": "One entry per invalid field; empty when no field is to blame",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {
                        "type": "array",
                        "description": 'Where: e.g. ["records", 0, "<column>"]',
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string", "description": "pydantic's error type"},
                },
            },
        },
    },
}
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


def _detail(items: Any) -> list[dict[str, Any]]:
    """pydantic's error objects, reduced to the documented keys."""
    if not isinstance(items, list):
        return []
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in item.get("loc", [])],
            "msg": str(item.get("msg", "")),
            "type": str(item.get("type", "")),
        }
        for item in items
        if isinstance(item, dict)
    ]


def reshape(status: int, body: bytes) -> bytes:
    """Any error body BentoML or Starlette wrote, in the one documented shape."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    try:
        original: Any = json.loads(body)
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return error_body(text if 0 < len(text) <= 500 else phrase)
    if isinstance(original, list) and original and isinstance(original[0], dict):
        original = original[0]  # BentoML writes some 4xx as a one-item list
    if isinstance(original, dict):
        message = original.get("error", original.get("detail", phrase))
        return error_body(str(message), _detail(original.get("detail")))
    return error_body(phrase)


def _ref(status: HTTPStatus) -> dict[str, str]:
    return {"$ref": f"#/components/responses/{status.value}"}


def document(spec: dict[str, Any]) -> dict[str, Any]:
    """BentoML's OpenAPI document, corrected to what the service with this guard answers."""
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for name in ("InvalidArgument", "NotFound", "InternalServerError"):
        schemas.pop(name, None)
    schemas["Error"] = ERROR_SCHEMA
    error = {JSON: {"schema": {"$ref": "#/components/schemas/Error"}}}
    components["responses"] = {
        str(status.value): {"description": description, "content": error}
        for status, description in ERROR_RESPONSES.items()
    }
    server_error = HTTPStatus.INTERNAL_SERVER_ERROR
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for code in ("400", "404", "500"):  # BentoML's, in the shape it documents
                responses.pop(code, None)
            if method == "post" and "requestBody" in operation:
                operation["requestBody"]["required"] = True
                for status in (
                    HTTPStatus.BAD_REQUEST,
                    HTTPStatus.REQUEST_ENTITY_TOO_LARGE,  # body_limit.py
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    HTTPStatus.SERVICE_UNAVAILABLE,  # batching sheds load beyond max_latency_ms
                    HTTPStatus.GATEWAY_TIMEOUT,  # request_timeout.py
                ):
                    responses[str(status.value)] = _ref(status)
            elif path == "/metrics":
                responses["200"] = {"description": "Prometheus text format", "content": TEXT}
            else:  # health endpoints
                responses["200"] = {"description": "Healthy (or ready)", "content": TEXT}
                unavailable = HTTPStatus.SERVICE_UNAVAILABLE
                responses[str(unavailable.value)] = _ref(unavailable)
            responses[str(server_error.value)] = _ref(server_error)
    return spec


def _media_type(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-type":
            return value.decode("latin-1").split(";")[0].strip().lower()
    return None


async def _answer(send: Send, status: int, body: bytes, headers: list[Any] | None = None) -> None:
    headers = [
        *(headers or []),
        (b"content-type", JSON.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class HttpGuard:
    """ASGI middleware around BentoML's app; `json_routes` are the POST endpoints (/predict)."""

    def __init__(self, app: App, json_routes: Iterable[str]) -> None:
        self.app = app
        self.json_routes = frozenset(json_routes)
        self.docs: bytes | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, method = scope["path"], scope["method"]
        if method == "POST" and path in self.json_routes:
            media_type = _media_type(scope)
            if media_type not in (None, JSON):  # none given: BentoML reads JSON, so do we
                message = f"POST {path} takes {JSON}, not {media_type!r}"
                await _answer(send, HTTPStatus.UNSUPPORTED_MEDIA_TYPE, error_body(message))
                return
        if method == "GET" and path == DOCS_PATH:
            await self._docs(scope, receive, send)
            return
        await self._guarded(scope, receive, send, head=method == "HEAD")

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, head: bool) -> None:
        """Pass 2xx/3xx through untouched; buffer an error response and send it reshaped."""
        state: dict[str, Any] = {"started": False, "error": None}
        chunks: list[bytes] = []

        async def reshaping(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] < 400 or head:
                    state["started"] = True
                    await send(message)
                else:
                    state["error"] = message
                return
            error = state["error"]
            if error is None or message["type"] != "http.response.body":
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                headers = [
                    (name, value)
                    for name, value in error.get("headers", [])
                    if name.lower() not in (b"content-type", b"content-length")
                ]
                state["started"] = True
                body = reshape(error["status"], b"".join(chunks))
                await _answer(send, error["status"], body, headers)

        try:
            await self.app(scope, receive, reshaping)
        except Exception:
            if state["started"]:
                raise
            logger.exception("Unhandled error on %s %s", scope["method"], scope["path"])
            message = "An unexpected error occurred; the server log has the traceback"
            await _answer(send, HTTPStatus.INTERNAL_SERVER_ERROR, error_body(message))

    async def _docs(self, scope: Scope, receive: Receive, send: Send) -> None:
        """BentoML's /docs.json, corrected once by `document` and then served from memory."""
        if self.docs is None:
            status: dict[str, int] = {}
            chunks: list[bytes] = []

            async def collect(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status["code"] = message["status"]
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await self.app(scope, receive, collect)
            if status.get("code") != HTTPStatus.OK:
                message = "The OpenAPI document could not be generated; see the server log"
                await _answer(send, HTTPStatus.INTERNAL_SERVER_ERROR, error_body(message))
                return
            self.docs = json.dumps(document(json.loads(b"".join(chunks)))).encode()
        await _answer(send, HTTPStatus.OK, self.docs)
