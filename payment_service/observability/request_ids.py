"""The id of the request being served, carried by a context variable.

A caller's `X-Request-Id` is kept when it is sane (short, plain characters: it ends up in log
lines and in headers sent to other services, so nothing that could forge a log line or a
header gets through); otherwise a new one is made. The id follows the work the request causes:
log lines, gateway calls, and the outbox row of every webhook it writes, so the delivery —
later, in any process — carries it too.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

HEADER = "X-Request-Id"
MAX_LENGTH = 128
_SANE = re.compile(rf"[A-Za-z0-9._:@/+=-]{{1,{MAX_LENGTH}}}")

_current: ContextVar[str | None] = ContextVar("payment_request_id", default=None)


def accept_or_generate(offered: str | None) -> str:
    """`offered` when it is a sane id, else a fresh random one (32 hex digits)."""
    if offered and _SANE.fullmatch(offered):
        return offered
    return uuid.uuid4().hex


def current() -> str | None:
    """The id of the request (or delivery) this thread is working for, if any."""
    return _current.get()


def bind(request_id: str | None) -> object:
    """Make `request_id` current; returns a token for `unbind`."""
    return _current.set(request_id)


def unbind(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]


@contextmanager
def bound(request_id: str | None) -> Iterator[None]:
    """Work done inside is attributed to `request_id` (e.g. a webhook delivery)."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)
