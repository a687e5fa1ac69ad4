"""Listing Toss's payments for reconciliation: `GET /v1/transactions`, cursor by cursor.

Toss lists transactions (each approval, deposit and refund), oldest first, by `transactionAt`
between `startDate` and `endDate` (both inclusive, Korean time without an offset). Each page
continues after the previous page's last `transactionKey` (`startingAfter`); only an empty page
ends the list, since Toss may serve fewer than `limit`. Every payment named is then fetched
whole, once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from payment_service.vendors import GatewayError, GatewayRejected, ListedPayment

from .mapping import KST, instant
from .options import REPLIES

PATH = "/v1/transactions"
PAGE_LIMIT = 1000  # Toss allows up to 10000; smaller pages keep each answer quick


def toss_time(moment: datetime) -> str:
    """`moment` as Toss reads its query dates: Korean local time to the millisecond."""
    local = moment.astimezone(KST).replace(tzinfo=None)
    return local.isoformat(timespec="milliseconds")


def list_payments(
    get: Callable[[str], Any],
    fetch: Callable[[str], dict[str, Any]],
    since: datetime,
    until: datetime,
) -> Iterator[ListedPayment]:
    """`get` answers a path with its query; `fetch` returns a payment by paymentKey."""
    # [since, until): Toss's endDate is inclusive, to the millisecond.
    window = {"startDate": toss_time(since), "endDate": toss_time(until - timedelta(0, 0, 1000))}
    span = (until - since).total_seconds() or 1.0
    seen: set[str] = set()
    after: str | None = None
    while True:
        query = {**window, "limit": PAGE_LIMIT}
        if after is not None:
            query["startingAfter"] = after
        page = get(f"{PATH}?{urlencode(query)}")
        if not isinstance(page, list):
            raise unreadable("the answer is not a list")
        if not page:
            return
        for transaction in page:
            key = _field(transaction, "paymentKey")
            if key in seen:
                continue
            seen.add(key)
            try:
                payment = fetch(key)
            except GatewayRejected as error:
                if error.status != 404:
                    raise
                continue  # a transaction of a payment Toss no longer shows: nothing to compare
            try:
                done = (instant(transaction.get("transactionAt")) - since).total_seconds() / span
            except (TypeError, ValueError):
                done = None
            order_id = payment.get("orderId")
            yield ListedPayment(
                key, order_id if isinstance(order_id, str) else "", payment, _bounded(done)
            )
        after = _field(page[-1], "transactionKey")


def _bounded(value: float | None) -> float | None:
    return None if value is None else min(1.0, max(0.0, value))


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, str):
        raise unreadable(f"a transaction has no {name}")
    return value


def unreadable(problem: str) -> GatewayError:
    return REPLIES.unreadable(PATH, problem)
