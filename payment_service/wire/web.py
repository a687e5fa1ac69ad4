"""The Flask side of the wire conventions: JSON answers, CORS, and the framework's own answers
(unknown routes, oversized bodies)."""

from __future__ import annotations

from collections.abc import Callable, Collection
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from . import JSON_TYPE, dumps, error_body


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status=status, content_type=JSON_TYPE)


ALLOWED_METHODS = "GET,HEAD,PUT,PATCH,POST,DELETE"


def install(
    app: Flask,
    *,
    cors_origins: Callable[[], Collection[str]],
    too_large: dict[str, Any],
    request_headers: str = "Content-Type",
) -> None:
    """CORS and the answers for unknown routes (404, 405) and oversized bodies (413).

    `cors_origins()` gives the origins allowed now: `*` behaves like `enableCors()` (any
    origin, any requested header); a list answers only those origins, allowing only
    `request_headers`; empty sends no CORS header at all.
    """

    def allowed_origin() -> str | None:
        origins = cors_origins()
        if "*" in origins:
            return "*"
        origin = request.headers.get("Origin")
        return origin if origin is not None and origin.rstrip("/") in origins else None

    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS":
            return None
        response = Response(status=204)
        if allowed_origin() is None:
            return response
        response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
        asked = request.headers.get("Access-Control-Request-Headers")
        if "*" not in cors_origins():
            response.headers["Access-Control-Allow-Headers"] = request_headers
        elif asked:
            response.headers["Access-Control-Allow-Headers"] = asked
            response.headers["Vary"] = "Access-Control-Request-Headers"
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        origin = allowed_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            if origin != "*":
                response.headers.add("Vary", "Origin")
        return response

    @app.errorhandler(HTTPException)
    def framework_error(error: HTTPException) -> Response:
        status = error.code or 500
        if status in (404, 405):
            # NestJS answers a known path with an unknown method exactly like an unknown path.
            return json_response(error_body(404, f"Cannot {request.method} {request.path}"), 404)
        if status == 413:
            return json_response(too_large, 413)
        message = error.description or HTTPStatus(status).phrase
        return json_response(error_body(status, message), status)
