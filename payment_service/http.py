"""HTTP conventions of the original server (NestJS on Fastify): CORS, error bodies, 404 text.

CORS is configurable (`PAYMENT_CORS_ORIGINS`): `*` behaves like the original's `enableCors()`
(any origin, any requested header; the `local` default); a list of origins answers only those,
with only the headers the API uses; empty (the `dev`/`real` default) sends no CORS header, so
browsers on other origins cannot read any answer.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import HTTPException

from .crypto import dumps
from .errors import ServiceError

log = logging.getLogger(__name__)


def json_response(body: Any, status: int) -> Response:
    return Response(dumps(body), status=status, content_type="application/json; charset=utf-8")


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "error": HTTPStatus(status).phrase, "statusCode": status}


# The only request header the API reads besides the CORS-safelisted ones.
API_REQUEST_HEADERS = "Content-Type"


def _cors_origins() -> tuple[str, ...]:
    return current_app.extensions["payment_service"].settings.cors_origins


def _allowed_origin() -> str | None:
    """The Access-Control-Allow-Origin to answer this request with, or None for no CORS."""
    origins = _cors_origins()
    if "*" in origins:
        return "*"
    origin = request.headers.get("Origin")
    return origin if origin is not None and origin.rstrip("/") in origins else None


def install(app: Flask) -> None:
    """CORS as configured, and the error handlers."""

    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS":
            return None
        response = Response(status=204)
        if _allowed_origin() is None:
            return response
        response.headers["Access-Control-Allow-Methods"] = "GET,HEAD,PUT,PATCH,POST,DELETE"
        asked = request.headers.get("Access-Control-Request-Headers")
        if "*" not in _cors_origins():
            response.headers["Access-Control-Allow-Headers"] = API_REQUEST_HEADERS
        elif asked:
            response.headers["Access-Control-Allow-Headers"] = asked
            response.headers["Vary"] = "Access-Control-Request-Headers"
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        origin = _allowed_origin()
        if origin is not None:
            response.headers["Access-Control-Allow-Origin"] = origin
            if origin != "*":
                response.headers.add("Vary", "Origin")
        return response

    app.register_error_handler(ServiceError, service_error)
    app.register_error_handler(HTTPException, http_exception)
    app.register_error_handler(Exception, unexpected_error)


def service_error(error: ServiceError) -> Response:
    response = json_response(error.body(), error.status)
    response.headers.update(error.headers())
    return response


def http_exception(error: HTTPException) -> Response:
    status = error.code or 500
    if status in (404, 405):
        # NestJS answers a known path with an unknown method exactly like an unknown path.
        return json_response(error_body(404, f"Cannot {request.method} {request.path}"), 404)
    if status == 413:
        return json_response(error_body(413, "Request body is too large."), 413)
    return json_response(error_body(status, error.description or HTTPStatus(status).phrase), status)


def unexpected_error(error: Exception) -> Response:
    # Logged in full here, never sent: a stack trace in a response helps only an attacker.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return json_response(error_body(500, "Internal server error."), 500)
