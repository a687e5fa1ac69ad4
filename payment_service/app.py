"""The application factory."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from flask import Flask
from flask_smorest import Api

from . import __version__, console, http
from .api import (
    docs,
    histories,
    internal,
    metrics,
    monitors,
    reservations,
    schedules,
    webhooks,
)
from .api.openapi import DocumentedApi, spec_kwargs
from .db import Database
from .observability import instrument
from .rotation import require_binding
from .runtime import Runtime, utcnow
from .settings import Settings
from .vendors import VendorRegistry


class PaymentApi(DocumentedApi, Api):
    """flask-smorest's Api with our error handlers (and error schema) in place of its own."""

    def _register_error_handlers(self) -> None:
        http.install(self._app)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    plugins: Iterable[Any] = (),
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    """Build the API: routes, error handlers, the runtime. Nothing runs in the background:
    webhooks are sent and periodic jobs run by roles of their own (`payment_service.roles`).
    `plugins` are vendor plugins registered besides the entry points; `clock` replaces the wall
    clock (the test kit's, which tests advance)."""
    settings = settings or Settings.load()
    app = Flask(__name__)
    app.config.update(
        MAX_CONTENT_LENGTH=settings.max_body_bytes,
        API_TITLE="payment-service",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
    )
    runtime = create_runtime(settings, database=database, plugins=plugins, clock=clock)
    app.extensions["payment_service"] = runtime
    # First, so that its hooks run around all others (request id, access line, metrics).
    instrument.install(app, runtime)

    app.register_blueprint(docs.blp)
    api = PaymentApi(app, spec_kwargs=spec_kwargs())
    api.register_blueprint(monitors.blp)
    api.register_blueprint(histories.blp)
    api.register_blueprint(reservations.blp)
    api.register_blueprint(schedules.blp)
    api.register_blueprint(webhooks.blueprint(runtime.vendors))
    if settings.internal_webhook_enabled:
        api.register_blueprint(internal.blp)
    if settings.metrics:
        api.register_blueprint(metrics.blp)
    if settings.console:
        console.install(app, runtime)
    return app


def create_runtime(
    settings: Settings,
    *,
    database: Database | None = None,
    plugins: Iterable[Any] = (),
    clock: Callable[[], datetime] | None = None,
) -> Runtime:
    """The objects a process of the service works with, without the HTTP layer (the sender,
    the housekeeper, commands)."""
    database = database or Database(
        settings.database_url, settings.database_schema, timeout_s=settings.database_timeout_s
    )
    return Runtime(
        settings=require_binding(settings, database),
        database=database,
        vendors=VendorRegistry.from_settings(settings, plugins),
        clock=clock or utcnow,
    )
