"""The login throttle: the API's failure throttle (`security.throttle`: the same table and
settings, budgets of their own), so that each login is reserved against its client's and its
account's budgets before argon2 runs, and a guesser spread over workers and hosts is counted
once."""

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
