"""The HTTP side of password checks: who the client is, and the attempt its checks run in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request

from ..security.clients import client_address
from .context import runtime

View = TypeVar("View", bound=Callable[..., Any])

THROTTLED = "Too many failed password checks from this address lately (see `Retry-After`)."


def request_client() -> str:
    """The client address this request is counted under (see `security.clients`)."""
    return client_address(
        request.remote_addr,
        ",".join(request.headers.getlist("X-Forwarded-For")),
        runtime().settings.trusted_proxies,
    )


def password_checked(view: View) -> View:
    """Run a view that checks a record password: 429 for a throttled client, failures counted."""

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        with runtime().passwords.attempt(request_client()):
            return view(*args, **kwargs)

    return checked  # type: ignore[return-value]
