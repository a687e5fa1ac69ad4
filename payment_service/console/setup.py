"""Adding the console to the app: its blueprint, the session cookie, CSRF protection and the
login throttle."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from flask import Blueprint, Flask, Request, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from .. import wire
from ..runtime import Runtime
from . import sessions, throttle, views

# Reachable without a session: the login form and the console's own assets.
OPEN_ENDPOINTS = frozenset({"console.login", "console.static"})

csrf = CSRFProtect()


def session_secret(runtime: Runtime) -> bytes:
    """The key that signs session cookies and CSRF tokens, derived from the idempotency key:
    secret wherever the keys are (`dev`, `real`), the same in every worker and on every host,
    and nothing more to configure. Rotating that key logs every operator out."""
    keyring = runtime.settings.keys.idempotency
    material = f"{keyring.key}:{keyring.iv}".encode()
    return hmac.new(material, b"payment-service console session", hashlib.sha256).digest()


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, opened only for a request that carries the cookie: every
    other request (all of the API's) gets an empty session without the signing serializer
    being built for it, which was a twentieth of a health check's CPU."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class() if app.secret_key else None
        return super().open_session(app, request)


def install(app: Flask, runtime: Runtime) -> None:
    settings = runtime.settings
    app.session_interface = CookieSessions()
    app.secret_key = session_secret(runtime)
    app.config.update(
        SESSION_COOKIE_NAME="payment_console",
        # The API never sees the cookie.
        SESSION_COOKIE_PATH="/console",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        # Plain http only on this machine (local mode): anywhere else it goes over TLS only.
        SESSION_COOKIE_SECURE=settings.mode != "local",
        # The API's routes take no forms: only the console's checks CSRF (in `_guard`).
        WTF_CSRF_CHECK_DEFAULT=False,
        # A token lives as long as its session (which ends when idle).
        WTF_CSRF_TIME_LIMIT=None,
    )
    csrf.init_app(app)
    throttle.install(app, runtime)
    app.register_blueprint(blueprint())


def blueprint() -> Blueprint:
    blp = Blueprint(
        "console",
        __name__,
        url_prefix="/console",
        template_folder="templates",
        static_folder="static",
        static_url_path="/static",
    )
    blp.before_request(_guard)
    blp.after_request(_no_store)
    blp.register_error_handler(CSRFError, _csrf_refused)
    blp.register_error_handler(HTTPException, _http_error)
    blp.context_processor(lambda: {"can": sessions.can, "operator": sessions.current()})
    blp.add_app_template_filter(pretty, "pretty")
    views.register(blp)
    return blp


def pretty(value: Any) -> str:
    """A value as the API would send it (JavaScript's JSON), indented for reading."""
    return json.dumps(json.loads(wire.dumps(value)), indent=2, ensure_ascii=False)


def _guard() -> Response | None:
    if request.endpoint in OPEN_ENDPOINTS:
        if request.method == "POST":
            csrf.protect()
        return None
    refused = sessions.load()
    if refused is not None:
        return refused
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


def _no_store(response: Response) -> Response:
    # Pages hold decrypted payment data: never kept by a browser's or a proxy's cache.
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "frame-ancestors 'none'; form-action 'self'",
        )
    return response


def _csrf_refused(error: CSRFError) -> tuple[str, int]:
    return render_template("console/error.html", status=400, message=error.description), 400


def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    messages = {403: "Your role does not allow this.", 404: "Nothing here."}
    message = messages.get(status, error.description or "")
    return render_template("console/error.html", status=status, message=message), status
