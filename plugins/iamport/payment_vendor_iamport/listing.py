"""Listing iamport's payments for reconciliation: `GET /payments/status/all`, page by page.

iamport filters `from` / `to` (Unix seconds, both inclusive) on the time of each payment's
current status (requested, paid, cancelled or failed) and refuses ranges over 90 days, so a
longer window is asked for in spans of at most 90 days. Pages are followed through the
answer's `next` (0 at the end), whatever page size iamport chose to serve.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from payment_service.vendors import ListedPayment

from .api import unreadable

PATH = "/payments/status/all"
PAGE_LIMIT = 100  # iamport's largest page
LONGEST_SPAN = timedelta(days=90)

Call = Callable[[str], Any]
"""GET a path (with its query) with the store's token; returns the envelope's `response`."""


def spans(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut into consecutive spans iamport accepts."""
    cuts: list[tuple[datetime, datetime]] = []
    start = since
    while start < until:
        end = min(start + LONGEST_SPAN, until)
        cuts.append((start, end))
        start = end
    return cuts


def list_payments(call: Call, since: datetime, until: datetime) -> Iterator[ListedPayment]:
    windows = spans(since, until)
    seen: set[str] = set()
    for index, (start, end) in enumerate(windows):
        # [start, end) in whole seconds, both ends inclusive as iamport reads them.
        first, last = math.floor(start.timestamp()), math.ceil(end.timestamp()) - 1
        page, listed = 1, 0
        while page:
            query = {"page": page, "limit": PAGE_LIMIT, "from": first, "to": last}
            # Oldest first: payments that arrive while we page are appended, not shifted in.
            path = f"{PATH}?{urlencode({**query, 'sorting': 'started'})}"
            answer = call(path)
            try:
                items, total, following = answer["list"], int(answer["total"]), answer["next"]
                if not isinstance(items, list) or not isinstance(following, int):
                    raise TypeError("list or next has the wrong type")
            except (KeyError, TypeError, ValueError):
                raise unreadable(PATH, "no {total, next, list} page") from None
            for item in items:
                listed += 1
                uid = _field(item, "imp_uid")
                if uid in seen:
                    continue
                seen.add(uid)
                done = (index + min(1.0, listed / total if total else 1.0)) / len(windows)
                yield ListedPayment(uid, _field(item, "merchant_uid"), item, done)
            # A `next` that does not move forward would loop for ever.
            page = following if following > page and items else 0


def _field(item: Any, name: str) -> str:
    value = item.get(name) if isinstance(item, dict) else None
    if not isinstance(value, str):
        raise unreadable(PATH, f"a payment of the list has no {name}")
    return value
