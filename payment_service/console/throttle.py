"""The login throttle: failed logins counted per client address like the API's password
checks (the same table and settings, keys of their own), so that a guesser spread over
workers and hosts is counted once."""

from __future__ import annotations

from flask import Flask

from ..runtime import Runtime
from ..security.throttle import FailureThrottle

EXTENSION = "payment_console_logins"


def install(app: Flask, runtime: Runtime) -> None:
    settings = runtime.settings
    app.extensions[EXTENSION] = FailureThrottle(
        runtime.database,
        settings.auth_failures_max,
        settings.auth_failures_window_s,
        lambda: runtime.clock(),
    )


def login_throttle(app: Flask) -> FailureThrottle:
    throttle: FailureThrottle = app.extensions[EXTENSION]
    return throttle
