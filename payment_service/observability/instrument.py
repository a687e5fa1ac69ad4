"""Request ids, the access line and the HTTP metrics, wired into the Flask app.

This runs on every request, so it does the least it can: a clock read and a context variable
at the start; at the end one header, one cached metric update and one log record. Everything
that can be decided once (the logger, whether metrics are on) is decided when the app is built.
"""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, request

from ..runtime import Runtime
from . import request_ids
from .logs import ACCESS_LOGGER
from .metrics import observe_request

_STARTED = "payment_service.started"
_REQUEST_ID = "payment_service.request_id"
_TOKEN = "payment_service.request_id_token"
UNMATCHED_ROUTE = "<unmatched>"
"""The route label of requests that matched no rule (404s): one value, however many paths."""


def install(app: Flask, runtime: Runtime) -> None:
    """Must run before other `before_request` hooks are registered: one of them (CORS
    preflight) answers by itself, which skips the hooks registered after it."""
    access = logging.getLogger(ACCESS_LOGGER)
    observe = None
    if runtime.settings.metrics:
        observe = observe_request

    @app.before_request
    def begin() -> None:
        environ = request.environ
        environ[_STARTED] = time.perf_counter()
        request_id = request_ids.accept_or_generate(environ.get("HTTP_X_REQUEST_ID"))
        environ[_REQUEST_ID] = request_id
        environ[_TOKEN] = request_ids.bind(request_id)

    @app.after_request
    def end(response: Response) -> Response:
        environ = request.environ
        request_id = environ.get(_REQUEST_ID) or request_ids.accept_or_generate(None)
        response.headers[request_ids.HEADER] = request_id
        seconds = time.perf_counter() - environ.get(_STARTED, time.perf_counter())
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED_ROUTE
        status = response.status_code
        if observe is not None:
            observe(request.method, route, status, seconds)
        if access.isEnabledFor(logging.INFO):
            # makeRecord + handle: what access.info() does, minus its search of the call stack
            # for a file name and line that no format of ours prints.
            method = request.method
            record = access.makeRecord(
                ACCESS_LOGGER,
                logging.INFO,
                __file__,
                0,
                "%s %s %d",
                (method, route, status),
                None,
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "client": environ.get("REMOTE_ADDR"),
                    "request_id": request_id,
                },
            )
            access.handle(record)
        return response

    @app.teardown_request
    def forget(_error: BaseException | None) -> None:
        token = request.environ.pop(_TOKEN, None)
        if token is not None:
            request_ids.unbind(token)
