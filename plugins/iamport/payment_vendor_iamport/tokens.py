"""iamport access tokens, cached per credentials and shared by concurrent requests.

iamport wants a token (`POST /users/getToken`) on every call. A token is reused until
`margin_s` before it expires (15 s, as the original server and iamport's own SDK do). Only one
fetch per credentials runs at a time: requests that need a token while it is being fetched
wait for that fetch and share its result, so N concurrent requests never cause N fetches.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from dataclasses import dataclass

REFRESH_MARGIN_S = 15.0


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: float
    """When it expires, on the clock of the TokenCache (seconds)."""


class TokenCache:
    def __init__(
        self, *, margin_s: float = REFRESH_MARGIN_S, clock: Callable[[], float] = time.time
    ):
        self.margin_s = margin_s
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[Hashable, IssuedToken] = {}
        self._fetching: dict[Hashable, Future[IssuedToken]] = {}

    def get(self, key: Hashable, issue: Callable[[], IssuedToken]) -> str:
        """A valid token for `key` (e.g. the credentials), calling `issue` when none is."""
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and self.clock() < cached.expires_at - self.margin_s:
                return cached.token
            pending = self._fetching.get(key)
            leader = pending is None
            if pending is None:
                pending = self._fetching[key] = Future()
        if not leader:
            # A token fetched for us counts as fresh even when its stamp says expired (the
            # fake's always do): the gateway has just issued it and accepts it.
            return pending.result().token
        try:
            issued = issue()
        except BaseException as error:
            with self._lock:
                del self._fetching[key]
            # The waiters fail with the leader's error instead of queueing up a fetch each,
            # which against a gateway that is down would multiply the wait.
            pending.set_exception(error)
            raise
        with self._lock:
            self._tokens[key] = issued
            del self._fetching[key]
        pending.set_result(issued)
        return issued.token

    def discard(self, key: Hashable, token: str) -> None:
        """Forget `token` (the gateway refused it); a newer token of `key` is kept."""
        with self._lock:
            cached = self._tokens.get(key)
            if cached is not None and cached.token == token:
                del self._tokens[key]
