"""The application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from . import __version__, http
from .db import Database
from .runtime import Runtime
from .settings import Settings


class PaymentApi(Api):
    """flask-smorest's Api with our error handlers in place of its own."""

    def _register_error_handlers(self) -> None:
        http.install(self._app)


def create_app(settings: Settings | None = None, *, database: Database | None = None) -> Flask:
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
    runtime = Runtime(settings=settings, database=database or Database(settings.database_url))
    app.extensions["payment_service"] = runtime

    api = PaymentApi(app, spec_kwargs=_spec_kwargs())
    from .api import monitors

    api.register_blueprint(monitors.blp)
    return app


def _spec_kwargs() -> dict[str, Any]:
    return {
        "info": {
            "description": (
                "Unified payment server. Bodies marked `x-encrypted-request` / "
                "`x-encrypted-response` travel AES-CBC encrypted (PKCS#7, base64, "
                "Content-Type text/plain) with the connection key and IV; the schemas shown "
                "are the plaintext JSON. Errors are never encrypted."
            )
        }
    }
