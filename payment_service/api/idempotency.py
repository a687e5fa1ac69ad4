"""The `Idempotency-Key` header on write routes (see `payments/idempotency.py` for semantics).

`@idempotent(blp, "name", schema)` (or `@idempotent_write`, which adds the body and answer
schemas) goes above a write view's other decorators, so that everything the route answers
passes through it. Requests without the header are untouched: the original SDK sends none.

A keyed request runs in one password attempt (`security.passwords`: cache and throttle) from
the first look at its key to its answer. A body the route's schema refuses gets the route's
400 and never touches the key. For a key already opened by a password (`Keys.holder`), this
request's password is checked first (403/429 like any check), and only then is its body
compared (422) or the kept answer replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any

from flask import Response, make_response, request
from marshmallow import Schema, ValidationError

from .. import http
from ..errors import BadRequest, Conflict, ServiceError, WrongPassword, is_final_status
from ..observability.metrics import count_idempotent
from ..payments.idempotency import Attempt, Keys, Opened, Stored, key_problem
from ..security import passwords
from ..transport import Blueprint, encrypted_answer, load_once, plaintext_of, read_encrypted_json
from .context import runtime
from .passwords import request_client

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
# The 409 of a registration route (a payment or a saved card).
ALREADY_REGISTERED = "The source or the vendor uid is already registered."
# Seconds a client should wait before retrying a key that is still being processed.
RETRY_AFTER_S = 1

_attempt: ContextVar[Attempt | None] = ContextVar("idempotency_attempt", default=None)

HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Makes a retry of this request safe: the first request with a key is processed and "
        "its final answer (2xx or 4xx) is kept for `PAYMENT_IDEMPOTENCY_TTL_S`; a later "
        "request with the same key, password and body gets that answer again, with "
        "`Idempotent-Replayed: true`, and nothing is done twice. A kept key checks the "
        "password first (403, 429 like any check); then the same key with another body gets "
        "422. While the first request still runs, 409 with `Retry-After`. A request refused "
        "for its body or password keeps no key. "
        "1 to 255 printable ASCII characters; a fresh random UUID per operation is ideal."
    ),
}


def current_attempt() -> Attempt | None:
    """The key this request holds, if it came with one (for operations that settle retries)."""
    return _attempt.get()


def resumed() -> bool:
    """Whether this request resumes an earlier attempt with the same key whose outcome is
    unknown (so what that attempt may have done must be settled, not redone)."""
    attempt = _attempt.get()
    return attempt is not None and attempt.resumed


def idempotent(
    blp: Blueprint, route: str, schema: type[Schema] | Schema | None = None
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Honour `Idempotency-Key` on a write view; `route` scopes the keys; a body `schema`
    refuses is left to the view (its 400) without touching the key. Given the instance the
    view's arguments are loaded with, the body is loaded once for both."""
    documented = blp.doc(parameters=[HEADER_DOC])
    checker = schema() if isinstance(schema, type) else schema

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Response:
            key = request.headers.get(HEADER)
            if key is None:
                return make_response(view(*args, **kwargs))
            problem = key_problem(key)
            if problem is not None:
                raise BadRequest(f"The {HEADER} header {problem}.")
            try:
                body = read_encrypted_json(request)
            except ServiceError:
                # Nothing to fingerprint: the view answers its usual 400 and keeps no key.
                return make_response(view(*args, **kwargs))
            if checker is not None:
                try:
                    load_once(checker, body)
                except ValidationError:
                    # Refused input never pins a key (a stranger's junk body with a victim's
                    # predictable key must not spoil the victim's request): the view's 400.
                    return make_response(view(*args, **kwargs))
            with runtime().passwords.attempt(request_client()):
                return _run(route, key, body, lambda: view(*args, **kwargs))

        return documented(wrapper)

    return decorator


def idempotent_write(
    blp: Blueprint,
    route: str,
    arguments: type[Schema],
    status: int,
    response: type[Schema],
    description: str = "",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A write route: `arguments` in, `response` out with `status`, and `Idempotency-Key`
    honoured (`idempotent`) around all of it. The view's own `alt_response`s go below."""

    schema = arguments()  # one instance: the body is loaded once for both (`load_once`)

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        view = blp.encrypted_response(status, response, description)(view)
        return idempotent(blp, route, schema)(blp.encrypted_arguments(schema)(view))

    return decorate


def _run(route: str, key: str, body: Any, view: Callable[[], Any]) -> Response:
    keys = runtime().idempotency
    clock = runtime().clock
    print_ = keys.fingerprint(body)
    try:
        # A key never seen is taken at once: there is nothing about it to tell anyone.
        begun: Attempt | Stored | None = keys.take_fresh(route, key, print_, clock())
        if begun is None:
            begun = _begin(keys, route, key, body, print_)
    except WrongPassword as error:
        return http.service_error(error)
    except Conflict as error:
        count_idempotent(route, "in_flight")
        response = http.service_error(error)
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response
    if isinstance(begun, Stored):
        count_idempotent(route, "replayed")
        return _replay(begun)
    count_idempotent(route, "new")
    with _holding(begun):
        try:
            response = make_response(view())
            final = is_final_status(response.status_code)
        except ServiceError as error:
            response = http.service_error(error)
            final = error.final
        except BaseException:
            keys.release(begun, clock(), _opened())
            raise
    if final:
        keys.finish(begun, _kept(response), clock(), _opened())
    else:
        keys.release(begun, clock(), _opened())
    return response


def _begin(keys: Keys, route: str, key: str, body: Any, print_: str) -> Attempt | Stored:
    """`Keys.begin` for a key used before, once this request opened what it is bound to."""
    clock = runtime().clock
    holder = keys.holder(route, key, clock())
    password = body.get("password") if isinstance(body, dict) else None
    if holder is not None and not (
        isinstance(password, str)
        and passwords.verify(holder.record_id, holder.password_hash, password)
    ):
        # Nothing about the key (its body, its answer) is told before this check passed.
        raise WrongPassword()
    return keys.begin(route, key, print_, clock(), holder)


def _opened() -> Opened | None:
    """The record this request's password opened or created, if it got that far."""
    opened = passwords.opened()
    return None if opened is None else Opened(*opened)


@contextmanager
def _holding(attempt: Attempt) -> Iterator[None]:
    token = _attempt.set(attempt)
    try:
        yield
    finally:
        _attempt.reset(token)


def _kept(response: Response) -> Stored:
    """What to keep of a final answer: an encrypted answer's plaintext (it is encrypted at rest,
    and for the wire again at each replay), else the exact bytes."""
    plaintext = plaintext_of(response)
    if plaintext is not None:
        return Stored(response.status_code, "", plaintext.encode("utf-8"), encrypted=True)
    return Stored(response.status_code, response.content_type or "", response.get_data())


def _replay(stored: Stored) -> Response:
    if stored.encrypted:
        # In the pair this request came in (`read_encrypted_json` noted it), so a replay after
        # a rotation reads like any answer, and a retired pair is never used again.
        response = encrypted_answer(stored.body.decode("utf-8"), stored.status)
    else:
        response = Response(stored.body, status=stored.status, content_type=stored.content_type)
    response.headers[REPLAYED] = "true"
    return response
