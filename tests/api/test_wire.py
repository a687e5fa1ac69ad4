"""payment_service.wire: the original's conventions, as the server and the fakes both answer."""

from __future__ import annotations

from collections.abc import Collection
from decimal import Decimal

import pytest
from flask import Flask, request

from payment_service import wire
from payment_service.wire import web


def app_with(origins: Collection[str], too_large: dict[str, object]) -> Flask:
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = 8
    web.install(app, cors_origins=lambda: origins, too_large=too_large)

    @app.post("/things")
    def things() -> str:
        return request.get_data(as_text=True)

    return app


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/things")])
def test_unknown_routes_and_methods_are_nestjs_404s(method: str, path: str) -> None:
    answer = app_with(("*",), wire.FASTIFY_TOO_LARGE).test_client().open(path, method=method)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
    expected = f'{{"message":"Cannot {method} {path}","error":"Not Found","statusCode":404}}'
    assert answer.get_data(as_text=True) == expected


@pytest.mark.parametrize(
    "too_large", [wire.FASTIFY_TOO_LARGE, wire.error_body(413, "Request body is too large.")]
)
def test_an_oversized_body_gets_the_given_413(too_large: dict[str, object]) -> None:
    answer = app_with(("*",), too_large).test_client().post("/things", data=b"x" * 9)
    assert (answer.status_code, answer.get_json()) == (413, too_large)


def test_open_cors_echoes_the_asked_headers() -> None:
    client = app_with(("*",), wire.FASTIFY_TOO_LARGE).test_client()
    asked = {"Origin": "https://a.example", "Access-Control-Request-Headers": "X-Any"}
    answer = client.options("/things", headers=asked)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Allow-Headers"] == "X-Any"
    assert answer.headers["Access-Control-Allow-Methods"] == "GET,HEAD,PUT,PATCH,POST,DELETE"


def test_listed_origins_only_and_no_cors_without_any() -> None:
    listed = app_with(("https://a.example",), wire.FASTIFY_TOO_LARGE).test_client()
    good = listed.options("/things", headers={"Origin": "https://a.example"})
    assert good.headers["Access-Control-Allow-Origin"] == "https://a.example"
    assert good.headers["Access-Control-Allow-Headers"] == "Content-Type"
    other = listed.post("/things", headers={"Origin": "https://b.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    closed = app_with((), wire.FASTIFY_TOO_LARGE).test_client()
    assert "Access-Control-Allow-Origin" not in closed.get("/nowhere").headers


def test_json_is_written_as_javascript_writes_it() -> None:
    value = {"a": 20000.0, "b": Decimal("19900.50"), "c": Decimal("2E+4"), "d": "홍길동\ud800"}
    assert wire.dumps(value) == '{"a":20000,"b":19900.5,"c":20000,"d":"홍길동\\ud800"}'


def test_a_validation_body_leaves_out_an_absent_value() -> None:
    absent = wire.validation_body("$input.id", "string")
    assert list(absent) == ["path", "reason", "expected", "message"]
    assert absent["reason"] == (
        "Error on typia.assert(): invalid type on $input.id, expect to be string"
    )
    given = wire.validation_body("$input.id", "string", None, source="core.TypedBody()")
    assert given["value"] is None and given["reason"].startswith("Error on core.TypedBody()")
