"""The HTTP side of password checks: who the client is, and the attempt its checks run in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from marshmallow import Schema

from ..security.clients import client_address
from ..transport import Blueprint
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


def looked_up(
    blp: Blueprint, arguments: type[Schema], response: type[Schema], what: str
) -> Callable[[View], View]:
    """A look-up of a record by its password: `arguments` in, the record as `response` out,
    403/404/429 documented, the check counted for the throttle (`password_checked`)."""

    def decorate(view: View) -> View:
        view = password_checked(view)
        view = blp.alt_response(429, description=THROTTLED)(view)
        view = blp.alt_response(404, description=f"No such {what}.")(view)
        view = blp.alt_response(403, description="Wrong password.")(view)
        view = blp.encrypted_response(200, response)(view)
        return blp.encrypted_arguments(arguments)(view)  # type: ignore[no-any-return]

    return decorate
