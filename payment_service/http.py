"""The server's HTTP conventions, as the original (NestJS on Fastify) has them (see `wire`).

CORS is configurable (`PAYMENT_CORS_ORIGINS`): `*` behaves like the original's `enableCors()`
(any origin, any requested header; the `local` default); a list of origins answers only those,
with only the headers the API uses; empty (the `dev`/`real` default) sends no CORS header, so
browsers on other origins cannot read any answer.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request

from . import wire
from .errors import ServiceError
from .wire import web

log = logging.getLogger(__name__)

# The only request header the API reads besides the CORS-safelisted ones.
API_REQUEST_HEADERS = "Content-Type"


def _cors_origins() -> tuple[str, ...]:
    return current_app.extensions["payment_service"].settings.cors_origins


def install(app: Flask) -> None:
    """CORS as configured, and the error handlers."""
    web.install(
        app,
        cors_origins=_cors_origins,
        too_large=wire.error_body(413, "Request body is too large."),
        request_headers=API_REQUEST_HEADERS,
    )
    app.register_error_handler(ServiceError, service_error)
    app.register_error_handler(Exception, unexpected_error)


def service_error(error: ServiceError) -> Response:
    response = web.json_response(error.body(), error.status)
    response.headers.update(error.headers())
    return response


def unexpected_error(error: Exception) -> Response:
    # Logged in full here, never sent: a stack trace in a response helps only an attacker.
    log.exception("unhandled error on %s %s", request.method, request.path)
    return web.json_response(wire.error_body(500, "Internal server error."), 500)
