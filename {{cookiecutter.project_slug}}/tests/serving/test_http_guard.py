"""The HTTP guard in-process, around a stand-in app: what BentoML answers in its own shapes
reaches the client in the one documented error shape, and no bad request becomes a 500."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from {{ cookiecutter.package_name }}.serving.http_guard import (
    HttpGuard,
)


async def predict(request: Request) -> JSONResponse:
    body = await request.json()
    if body == {"crash": True}:
        raise RuntimeError("a bug")
    if body == {"bentoml-4xx": True}:  # BentoML writes some 4xx as a one-item list
        return JSONResponse([{"error": "not allowed"}], status_code=415)
    return JSONResponse({"error": "1 validation error", "detail": [{"loc": ["records"]}]}, 400)


async def docs(_: Request) -> JSONResponse:
    operation = {"responses": {"200": {}, "400": {}}, "requestBody": {"content": {}}}
    spec = {"paths": {"/predict": {"post": operation}, "/readyz": {"get": {"responses": {}}}}}
    return JSONResponse(spec)


async def readyz(_: Request) -> PlainTextResponse:
    return PlainTextResponse("\n")


@pytest.fixture(scope="module")
def client() -> TestClient:
    routes = [
        Route("/predict", predict, methods=["POST"]),
        Route("/docs.json", docs),
        Route("/readyz", readyz),
    ]
    app = HttpGuard(Starlette(routes=routes), json_routes=["/predict"], max_bytes=10_000)
    return TestClient(app, raise_server_exceptions=False)


def is_error(response) -> bool:
    body = response.json()
    return set(body) == {"error", "detail"} and isinstance(body["detail"], list)


def test_a_body_that_is_not_json_gets_415_before_it_is_parsed(client):
    response = client.post(
        "/predict", content=b"--x", headers={"Content-Type": "multipart/form-data"}
    )
    assert response.status_code == 415 and is_error(response)
    assert "multipart/form-data" in response.json()["error"]


def test_every_error_has_one_shape(client):
    validation = client.post("/predict", json={})
    assert validation.status_code == 400 and is_error(validation)
    assert validation.json()["detail"] == [{"loc": ["records"], "msg": "", "type": ""}]
    for response in (
        client.get("/nowhere"),
        client.get("/predict"),
        client.post("/predict", json={"bentoml-4xx": True}),
    ):
        assert response.status_code in (404, 405, 415) and is_error(response), response.text
    assert client.get("/predict").headers["allow"] == "POST"


def test_an_unhandled_exception_is_a_500_in_the_same_shape(client):
    response = client.post("/predict", json={"crash": True})
    assert response.status_code == 500 and is_error(response)


def test_success_passes_through_untouched(client):
    response = client.get("/readyz")
    assert response.status_code == 200 and response.text == "\n"


def test_openapi_document_requires_the_body_and_references_one_error_shape(client):
    spec = client.get("/docs.json").json()
    operation = spec["paths"]["/predict"]["post"]
    assert operation["requestBody"]["required"] is True
    assert operation["responses"]["400"] == {"$ref": "#/components/responses/400"}
    assert operation["responses"]["504"] == {"$ref": "#/components/responses/504"}
    assert spec["paths"]["/readyz"]["get"]["responses"]["503"]["$ref"].endswith("/503")
    refs = {
        r["content"]["application/json"]["schema"]["$ref"]
        for r in spec["components"]["responses"].values()
    }
    assert refs == {"#/components/schemas/Error"}
