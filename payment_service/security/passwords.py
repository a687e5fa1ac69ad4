"""The one way `payments/` checks a record's password: `verify` (and `burn` for no record).

The API layer wraps every request that checks a password in `PasswordGuard.attempt(client)`;
inside, the check sites call the module functions `verify`/`burn`, which find the attempt
through a context variable (so the client address reaches them without `payments/` knowing
about HTTP). A password the verified-credential cache holds for the record is accepted at once
and never throttled (a good client keeps working while others fail from its address). Any
other check reserves itself against the client's and the record's budgets first
(`FailureThrottle.reserve`: 429 when one is spent), then runs bcrypt, then settles: a failure
stays counted, a success does not. Outside any attempt (CLI, direct calls) `verify` is a plain
bcrypt check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from ..crypto import burn_password_check, check_password
from ..db import Database
from ..settings import Settings
from .clients import site_block
from .credentials import VerifiedCredentials
from .throttle import Budget, FailureThrottle

# Tags of a record that cannot exist, computed for unknown records so that both paths do the
# same work before their bcrypt.
_NO_RECORD = ("", "")
RECORD_SCOPE = "record:"


class PasswordGuard:
    """One server's verified-credential cache and failure throttle."""

    def __init__(self, settings: Settings, database: Database, clock: Callable[[], datetime]):
        self.credentials = VerifiedCredentials(
            settings.password_cache_s, settings.password_cache_entries, clock
        )
        self.throttle = FailureThrottle(
            database, settings.auth_failures_max, settings.auth_failures_window_s, clock
        )
        self.site_limit = settings.ipv6_48_failures_max

    @contextmanager
    def attempt(self, client: str) -> Iterator[Attempt]:
        """Let the body check passwords on behalf of `client`. Re-entrant: inside an attempt
        (the idempotency layer opens one around a route that opens its own), it goes on."""
        current = _current.get()
        if current is not None and current.guard is self:
            yield current
            return
        attempt = Attempt(self, client)
        token = _current.set(attempt)
        try:
            yield attempt
        finally:
            _current.reset(token)

    def budgets(self, client: str, record_id: str | None) -> list[Budget]:
        """What one check by `client` of `record_id` (None: no such record) spends."""
        limit = self.throttle.limit
        budgets = [Budget(client, limit)]
        site = site_block(client)
        if site is not None:
            budgets.append(Budget(site, self.site_limit))
        if record_id:
            budgets.append(Budget(RECORD_SCOPE + record_id, limit))
        return budgets


@dataclass
class Attempt:
    """The password checks of one request from one client."""

    guard: PasswordGuard
    client: str
    opened: tuple[str, str] | None = None
    """(record id, password hash) that this request's password was shown to open, or that it
    has just created: what a kept idempotent answer is later checked against."""

    def verify(self, record_id: str, stored_hash: str, password: str) -> bool:
        cache = self.guard.credentials
        credential = cache.credential(record_id, stored_hash, password)
        if not cache.holds(credential):
            throttle = self.guard.throttle
            reserved = throttle.reserve(self.guard.budgets(self.client, record_id))
            right = check_password(password, stored_hash)
            throttle.settle(reserved, failed=not right)
            if not right:
                return False
            cache.remember(credential)
        self.opened = (record_id, stored_hash)
        return True

    def burn(self, password: str) -> None:
        cache = self.guard.credentials
        cache.holds(cache.credential(*_NO_RECORD, password))
        throttle = self.guard.throttle
        reserved = throttle.reserve(self.guard.budgets(self.client, None))
        burn_password_check(password)
        throttle.settle(reserved, failed=True)

    def created(self, record_id: str, stored_hash: str, password: str) -> None:
        cache = self.guard.credentials
        cache.remember(cache.credential(record_id, stored_hash, password))
        self.opened = (record_id, stored_hash)


_current: ContextVar[Attempt | None] = ContextVar("password_attempt", default=None)


def verify(record_id: str, stored_hash: str, password: str) -> bool:
    """Whether `password` opens the record whose password hash is `stored_hash` (raises
    `TooManyFailures` when the check would spend a budget that is spent)."""
    attempt = _current.get()
    if attempt is None:
        return check_password(password, stored_hash)
    return attempt.verify(record_id, stored_hash, password)


def burn(password: str) -> None:
    """Spend what a wrong password costs, for a record that does not exist (and count it)."""
    attempt = _current.get()
    if attempt is None:
        burn_password_check(password)
        return
    attempt.burn(password)


def created(record_id: str, stored_hash: str, password: str) -> None:
    """The request has just stored a record under `password` (hashed `stored_hash`): it opens
    that record from now on (and the creator's next look-up skips bcrypt)."""
    attempt = _current.get()
    if attempt is not None:
        attempt.created(record_id, stored_hash, password)


def opened() -> tuple[str, str] | None:
    """(record id, password hash) this request has shown it may open, or None."""
    attempt = _current.get()
    return None if attempt is None else attempt.opened
