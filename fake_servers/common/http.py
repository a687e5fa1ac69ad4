"""The fakes' HTTP: the original's conventions (`payment_service.wire`, the only part of the
server the fakes import) with CORS open to every origin and Fastify's body parsing."""

from __future__ import annotations

import json
import math
from typing import Any

from flask import Flask, Response, request

from payment_service import wire
from payment_service.wire import JSON_TYPE, dumps, web
from payment_service.wire.web import json_response

# JSON_TYPE, dumps and json_response are re-exported: the fakes' routes take them from here.
__all__ = [
    "JSON_TYPE",
    "HttpError",
    "RawError",
    "dumps",
    "empty_response",
    "install_conventions",
    "json_response",
    "read_json_body",
]


class HttpError(Exception):
    """An error answered as `{"message", "error", "statusCode"}`, NestJS's HttpException body."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message

    def body(self) -> dict[str, Any]:
        return wire.error_body(self.status, self.message)


class RawError(Exception):
    """An error whose body is given whole (Fastify's own shapes, validation failures)."""

    def __init__(self, status: int, body: dict[str, Any]):
        super().__init__(body.get("message", ""))
        self.status = status
        self.body = body


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
        raise RawError(400, wire.fastify_body(400, wire.EMPTY_JSON))
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
    """CORS for every origin, NestJS error bodies, and 'Cannot METHOD /path' for unknown routes."""
    web.install(app, cors_origins=lambda: ("*",), too_large=wire.FASTIFY_TOO_LARGE)

    @app.errorhandler(HttpError)
    def http_error(error: HttpError) -> Response:
        return json_response(error.body(), error.status)

    @app.errorhandler(RawError)
    def raw_error(error: RawError) -> Response:
        return json_response(error.body, error.status)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        app.logger.exception("unhandled error in fake server")
        return json_response({"message": str(error), "name": type(error).__name__}, 500)
