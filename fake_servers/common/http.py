"""HTTP conventions shared by the fakes: NestJS-on-Fastify error bodies, CORS, JSON output."""

from __future__ import annotations

import json
import math
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

JSON_TYPE = "application/json; charset=utf-8"


class HttpError(Exception):
    """An error answered as `{"message", "error", "statusCode"}`, NestJS's HttpException body."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "error": HTTPStatus(self.status).phrase,
            "statusCode": self.status,
        }


class RawError(Exception):
    """An error whose body is given whole (Fastify's own shapes, validation failures)."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


def js_value(value: Any) -> Any:
    """Convert to what JavaScript's JSON.stringify would print: integral floats become ints."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: js_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [js_value(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """Compact JSON, non-ASCII kept raw, numbers as JavaScript prints them."""
    return json.dumps(js_value(value), separators=(",", ":"), ensure_ascii=False)


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status=status, content_type=JSON_TYPE)


def empty_response(status: int) -> Response:
    """A void route's answer: no body, yet `application/json` as Fastify labels it."""
    return Response(b"", status=status, content_type="application/json")


def _parse_body(allow_empty: bool) -> Any:
    """Parse the request body the way the original fakes' framework (Fastify) does."""
    raw = request.get_data(cache=True)
    media = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if not raw and allow_empty:
        return None
    if media != "application/json":
        raise HttpError(400, 'Request body type is not "application/json".')
    if not raw:
        raise RawError(
            400,
            {
                "statusCode": 400,
                "message": "Body cannot be empty when content-type is set to 'application/json'",
            },
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise HttpError(400, _parser_message(error)) from None


def read_json_body(allow_empty: bool = False) -> Any:
    """The parsed request body, refused (always with a 400) where the original would refuse it.

    Returns None for an empty body when `allow_empty` is set (routes that take no body).
    Python's parser accepts `NaN` and `Infinity`, which could not be echoed back as JSON, and
    gives up on deep nesting with a RecursionError where the original servers answer 400.
    """
    try:
        value = _parse_body(allow_empty)
    except RecursionError:
        raise HttpError(400, "Maximum call stack size exceeded") from None
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, float) and not math.isfinite(item):
            raise HttpError(400, f"{json.dumps(item)} is not valid JSON")
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return value


def _parser_message(error: Exception) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} in JSON at position {error.pos}"
    return "Invalid JSON body"


def install_conventions(app: Flask) -> None:
    """CORS on every answer, NestJS error bodies, and 'Cannot METHOD /path' for unknown routes."""

    @app.before_request
    def preflight() -> Response | None:
        if request.method == "OPTIONS":
            response = Response(status=204)
            response.headers["Access-Control-Allow-Methods"] = "GET,HEAD,PUT,PATCH,POST,DELETE"
            asked = request.headers.get("Access-Control-Request-Headers")
            if asked:
                response.headers["Access-Control-Allow-Headers"] = asked
                response.headers["Vary"] = "Access-Control-Request-Headers"
            return response
        return None

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        return response

    @app.errorhandler(HttpError)
    def http_error(error: HttpError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(RawError)
    def raw_error(error: RawError) -> Response:
        return json_response(error.body, error.status)

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status in (404, 405):
            # NestJS answers an unknown method on a known path like an unknown path.
            return json_response(
                HttpError(404, f"Cannot {request.method} {request.path}").body(), 404
            )
        if status == 413:
            return json_response(
                {
                    "statusCode": 413,
                    "code": "FST_ERR_CTP_BODY_TOO_LARGE",
                    "error": "Payload Too Large",
                    "message": "Request body is too large",
                },
                413,
            )
        return json_response(HttpError(status, error.description or "").body(), status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error in fake server")
        return json_response({"message": str(error), "name": type(error).__name__}, 500)
