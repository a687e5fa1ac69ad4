"""HTTP conventions of the original server (NestJS on Fastify): CORS, error bodies, 404 text."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from .crypto import dumps
from .errors import ServiceError

log = logging.getLogger(__name__)


def json_response(body: Any, status: int) -> Response:
    return Response(dumps(body), status=status, content_type="application/json; charset=utf-8")


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"message": message, "error": HTTPStatus(status).phrase, "statusCode": status}


def install(app: Flask) -> None:
    """CORS for every origin (the original calls `enableCors()`) and the error handlers."""

    @app.before_request
    def preflight() -> Response | None:
        if request.method != "OPTIONS":
            return None
        response = Response(status=204)
        response.headers["Access-Control-Allow-Methods"] = "GET,HEAD,PUT,PATCH,POST,DELETE"
        asked = request.headers.get("Access-Control-Request-Headers")
        if asked:
            response.headers["Access-Control-Allow-Headers"] = asked
            response.headers["Vary"] = "Access-Control-Request-Headers"
        return response

    @app.after_request
    def cors(response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
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
