"""The HTTP side of password checks: who the client is, and the attempt its checks run in."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import request
from flask.views import MethodView
from marshmallow import Schema

from ..payments.inputs import Source
from ..runtime import Runtime
from ..security.clients import client_address
from ..transport import Blueprint
from .context import runtime
from .schemas import AccessorSchema, PasswordSchema, require_uuid

View = TypeVar("View", bound=Callable[..., Any])

THROTTLED = (
    "Too many failed password checks lately from this address or for this record "
    "(see `Retry-After`)."
)


def request_client() -> str:
    """The client address this request is counted under (see `security.clients`)."""
    return client_address(
        request.remote_addr,
        ",".join(request.headers.getlist("X-Forwarded-For")),
        runtime().settings.trusted_proxies,
    )


def password_checked(view: View) -> View:
    """Run a view that checks a record password: failures counted, 429 past a budget."""

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


def look_up_routes(
    blp: Blueprint,
    response: type[Schema],
    what: str,
    kind: str,
    by_source: Callable[[Runtime, Source, str], dict[str, Any]],
    by_id: Callable[[Runtime, str, str], dict[str, Any]],
    requirements: tuple[str, str],
) -> None:
    """Add the two look-ups every kind of record has to `blp`: ``PATCH /get`` by source and
    ``PATCH /<id>``, both with the password (`looked_up`). `kind` names the views, e.g.
    ``HistoryBySource``; `requirements` are the spec's numbers of the two routes."""

    def patch_by_source(self: MethodView, accessor: tuple[Source, str]) -> dict[str, Any]:
        source, password = accessor
        return by_source(runtime(), source, password)

    def patch_by_id(self: MethodView, body: dict[str, str], id: str) -> dict[str, Any]:
        return by_id(runtime(), require_uuid(id), body["password"])

    # The docstrings are the routes' summaries in the OpenAPI document.
    patch_by_source.__doc__ = f"Look up a {what} by its source and password ({requirements[0]})."
    patch_by_id.__doc__ = f"Look up a {what} by its id and password ({requirements[1]})."
    for rule, name, view, arguments in (
        ("/get", "BySource", patch_by_source, AccessorSchema),
        ("/<id>", "ById", patch_by_id, PasswordSchema),
    ):
        patch = looked_up(blp, arguments, response, what)(view)
        blp.route(rule)(type(kind + name, (MethodView,), {"patch": patch}))
