"""Access tokens: `POST /users/getToken` and the `Authorization` check of every other route."""

from __future__ import annotations

import hmac
from typing import Any

from fake_servers.common.http import HttpError

from . import messages
from .records import User
from .state import State

# The original declares a lifetime of minus three minutes, so `expired_at` always lies in the
# past. Clients rely on it: the SDK's IamportConnector then fetches a fresh token before every
# call, and a token is only ever lost when the users collection evicts it.
TOKEN_LIFETIME_MS = -180_000


def issue_token(state: State, accessor: dict[str, Any]) -> User:
    expected = state.credentials.get(accessor["imp_key"])
    if expected is None or not hmac.compare_digest(
        expected.encode("utf-8"), accessor["imp_secret"].encode("utf-8")
    ):
        raise HttpError(403, messages.WRONG_KEYS)
    now = state.clock.ms()
    # Computed in milliseconds, then divided, so the printed seconds equal JavaScript's.
    user = User(now=now / 1000, expired_at=(now + TOKEN_LIFETIME_MS) / 1000)
    return state.users.set(user.access_token, user)


def authorize(state: State, header: str | None) -> User:
    """Resolve the raw token of the `Authorization` header (no `Bearer ` prefix, as iamport).

    An unknown token answers 404, not 401: the lookup error of the token collection surfaces.
    Tokens are never refused for their age (see TOKEN_LIFETIME_MS).
    """
    if header is None:
        raise HttpError(403, messages.NO_TOKEN)
    return state.users.get(header)
