"""Access to the running server's objects from inside a request."""

from __future__ import annotations

from flask import current_app

from ..runtime import Runtime


def runtime() -> Runtime:
    return current_app.extensions["payment_service"]
