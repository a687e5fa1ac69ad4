"""`GET /payments/status/:payment_status`: iamport's paged list of payments by status and time.

As the real iamport:
* `payment_status` is `all`, `ready`, `paid`, `cancelled` or `failed`;
* `from` / `to` (Unix seconds, both inclusive) apply to the time matching each payment's
  current status: `started_at` while ready, `paid_at` once paid, `cancelled_at` once cancelled,
  `failed_at` once failed; `to` defaults to now and `from` to 90 days before `to`, and a longer
  range is refused;
* `page` counts from 1, `limit` is at most 100 (20 by default);
* the answer is `{total, previous, next, list}`, where `previous` / `next` are page numbers and
  0 means there is none.
"""

from __future__ import annotations

import math
from typing import Any

from fake_servers.common.http import HttpError

from .records import Payment
from .state import State

STATUSES = ("all", "ready", "paid", "cancelled", "failed")
SORTINGS = ("-started", "started", "-paid", "paid", "-updated", "updated")
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_RANGE_S = 90 * 24 * 60 * 60
RANGE_TOO_LONG = "검색기간은 최대 90일까지 입니다."
UNKNOWN_STATUS = "payment_status는 all, ready, paid, cancelled, failed 중 하나여야 합니다."


def status_time(payment: Payment) -> float:
    """The time `from` / `to` are compared with: that of the payment's current status."""
    return {
        "ready": payment.started_at,
        "paid": payment.paid_at,
        "cancelled": payment.cancelled_at,
        "failed": payment.failed_at,
    }.get(payment.status, payment.started_at)


def _updated(payment: Payment) -> float:
    return max(payment.started_at, payment.paid_at, payment.cancelled_at, payment.failed_at)


_SORT_KEYS = {
    "started": lambda p: p.started_at,
    "paid": lambda p: p.paid_at,
    "updated": _updated,
}


def list_by_status(state: State, status: str, query: dict[str, Any]) -> dict[str, Any]:
    """One page of the payments in `status` (or any, for `all`) inside the query's range."""
    if status not in STATUSES:
        raise HttpError(400, UNKNOWN_STATUS)
    until = query.get("to", math.floor(state.clock.seconds()))
    since = query.get("from", until - MAX_RANGE_S)
    if until - since > MAX_RANGE_S:
        raise HttpError(400, RANGE_TOO_LONG)
    page = query.get("page", 1)
    # A fake-only cap (state.list_limit) lets tests see paging with few payments; the real
    # iamport caps at 100 the same way, silently.
    limit = min(query.get("limit", DEFAULT_LIMIT), MAX_LIMIT, state.list_limit)
    sorting = query.get("sorting", "-started")
    with state.lock:
        found = [
            payment
            for payment in state.payments.values()
            if (status == "all" or payment.status == status)
            and since <= status_time(payment) <= until
        ]
        found.sort(key=_SORT_KEYS[sorting.lstrip("-")], reverse=sorting.startswith("-"))
        start = (page - 1) * limit
        chosen = [payment.to_json() for payment in found[start : start + limit]]
    return {
        "total": len(found),
        "previous": page - 1 if page > 1 else 0,
        "next": page + 1 if start + limit < len(found) else 0,
        "list": chosen,
    }
