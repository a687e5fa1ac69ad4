"""Listing payments: `GET /payments` (filters, page number and size) and
`GET /payments-by-cursor` (every payment created in a period, in order, by cursor) — what a
reconciliation needs to find payments the merchant never heard of."""

from __future__ import annotations

from datetime import datetime, timedelta

from fake_servers.common.clock import FakeClock

from . import records, validation
from .errors import invalid_request
from .records import METHOD_TYPES, Json
from .state import PortOneState

DEFAULT_PAGE_SIZE = 10
MAX_CURSOR_SIZE = 1000


def _range(filter: Json, path: str, clock: FakeClock) -> tuple[datetime, datetime]:
    """`from`/`until`: until defaults to now, from to 90 days before until (as documented)."""
    until_text = validation.timestamp(filter, "until", path)
    from_text = validation.timestamp(filter, "from", path)
    until = records.parse_time(until_text or records.stamp(clock))
    start = records.parse_time(from_text) if from_text else until - timedelta(days=90)
    return start, until


def search(state: PortOneState, body: Json) -> Json:
    page = validation.child(body, "page", required=False) or {}
    filter = validation.child(body, "filter", required=False) or {}
    number = validation.integer(page, "number", "page.", required=False, minimum=0) or 0
    size = validation.integer(page, "size", "page.", required=False, minimum=1)
    size = size or DEFAULT_PAGE_SIZE
    path = "filter."
    store_id = validation.string(filter, "storeId", path, required=False)
    stamp = validation.string(filter, "timestampType", path, required=False) or "CREATED_AT"
    if stamp not in ("CREATED_AT", "STATUS_CHANGED_AT"):
        raise invalid_request("잘못된 요청입니다: `filter.timestampType` 값이 올바르지 않습니다.")
    start, until = _range(filter, path, state.clock)
    statuses = validation.strings(filter, "status", path)
    methods = validation.strings(filter, "methods", path)
    is_test = validation.boolean(filter, "isTest", path)
    currency = validation.string(filter, "currency", path, required=False)
    sort_by = validation.string(filter, "sortBy", path, required=False) or "REQUESTED_AT"
    order = validation.string(filter, "sortOrder", path, required=False) or "DESC"
    if sort_by not in ("REQUESTED_AT", "STATUS_CHANGED_AT") or order not in ("ASC", "DESC"):
        raise invalid_request("잘못된 요청입니다: `filter.sortBy` 또는 `sortOrder` 값 오류")
    moment = "requestedAt" if stamp == "CREATED_AT" else "statusChangedAt"

    def matches(payment: Json) -> bool:
        at = records.parse_time(payment[moment])
        return (
            start <= at <= until
            and (store_id is None or payment["storeId"] == store_id)
            and (statuses is None or payment["status"] in statuses)
            and (methods is None or METHOD_TYPES.get(payment["method"]["type"]) in methods)
            and (is_test is None or (payment["channel"]["type"] == "TEST") == is_test)
            and (currency is None or payment["currency"] == currency)
        )

    key = "requestedAt" if sort_by == "REQUESTED_AT" else "statusChangedAt"
    with state.lock:
        found = [p for p in state.payments.values() if matches(p)]
        found.sort(key=lambda p: (records.parse_time(p[key]), p["id"]), reverse=order == "DESC")
        items = [records.snapshot(p) for p in found[number * size : (number + 1) * size]]
    # totalCount is the number of matching payments (what a client pages through).
    return {"items": items, "page": {"number": number, "size": size, "totalCount": len(found)}}


def by_cursor(state: PortOneState, body: Json) -> Json:
    """Payments created in [from, until], oldest first; the cursor is the last one's position."""
    store_id = validation.string(body, "storeId", required=False)
    start, until = _range(body, "", state.clock)
    cursor = validation.string(body, "cursor", required=False)
    size = validation.integer(body, "size", required=False, minimum=1) or DEFAULT_PAGE_SIZE
    size = min(size, MAX_CURSOR_SIZE)
    with state.lock:
        found = [
            p
            for p in state.payments.values()
            if start <= records.parse_time(p["requestedAt"]) <= until
            and (store_id is None or p["storeId"] == store_id)
        ]
        found.sort(key=lambda p: (records.parse_time(p["requestedAt"]), p["id"]))
        positions = [f"{p['requestedAt']}|{p['id']}" for p in found]
        begin = 0
        if cursor is not None:
            if cursor not in positions:
                raise invalid_request("잘못된 요청입니다: `cursor` 값이 올바르지 않습니다.")
            begin = positions.index(cursor) + 1
        chosen = list(zip(found, positions, strict=True))[begin : begin + size]
        return {"items": [{"payment": records.snapshot(p), "cursor": c} for p, c in chosen]}
