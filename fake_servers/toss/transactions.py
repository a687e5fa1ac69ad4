"""Transactions: every movement of a payment (approval, deposit, refund), and their list.

`GET /v1/transactions` is the real Toss API's reconciliation list (not in the SDK): the
transactions whose `transactionAt` lies in [`startDate`, `endDate`], oldest first, `limit` at a
time (100 by default, at most 10000), continuing after the `transactionKey` given as
`startingAfter`. Dates without an offset are Korean time, as Toss reads them. The answer is a
bare JSON array; an empty one means there is nothing more.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from fake_servers.common.http import HttpError

from . import records
from .records import RECEIPT_URL, Json
from .state import TossState

KST = timezone(timedelta(hours=9))
DEFAULT_LIMIT = 100
MAX_LIMIT = 10000
BAD_CURSOR = "잘못된 페이징 키 입니다."


def record(
    state: TossState, payment: Json, status: str, amount: Any, at: str, key: str | None = None
) -> None:
    """Add a transaction of `payment` (call with the state's lock held, after the change).

    `key` defaults to a new one; a payment's first transaction carries the payment's own
    `transactionKey`, and is recorded once however often the payment is approved again.
    """
    key = key or records.new_key()
    if key in state.transactions:
        return
    state.transactions.set(
        key,
        {
            "mId": payment["mId"],
            "transactionKey": key,
            "paymentKey": payment["paymentKey"],
            "orderId": payment["orderId"],
            "method": payment["method"],
            "customerKey": payment.get("customerKey"),
            "useEscrow": payment["useEscrow"],
            "receiptUrl": RECEIPT_URL,
            "status": status,
            "transactionAt": at,
            "currency": payment["currency"],
            "amount": amount,
        },
    )


def record_approval(state: TossState, payment: Json) -> None:
    """The approval's transaction, under the payment's own transactionKey."""
    record(
        state,
        payment,
        "DONE",
        payment["totalAmount"],
        payment["approvedAt"],
        key=payment["transactionKey"],
    )


def parse_date(name: str, text: Any) -> datetime:
    if not isinstance(text, str):
        raise HttpError(400, f"{name} is required.")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise HttpError(400, f"{name} must be an ISO 8601 date-time.") from None
    return moment.replace(tzinfo=KST) if moment.tzinfo is None else moment


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def list_transactions(state: TossState, query: dict[str, str]) -> list[Json]:
    since = parse_date("startDate", query.get("startDate"))
    until = parse_date("endDate", query.get("endDate"))
    text = query.get("limit", str(DEFAULT_LIMIT))
    if not text.isdigit() or not 1 <= int(text) <= MAX_LIMIT:
        raise HttpError(400, f"limit must be an integer from 1 to {MAX_LIMIT}.")
    # A fake-only cap (state.list_limit) lets tests see paging with few transactions.
    limit = min(int(text), state.list_limit)
    with state.lock:
        found = [
            transaction
            for transaction in state.transactions.values()
            if since <= instant(transaction["transactionAt"]) <= until
        ]
        # Oldest first; transactions of the same instant keep the order they happened in.
        found.sort(key=lambda transaction: instant(transaction["transactionAt"]))
        start = 0
        after = query.get("startingAfter")
        if after is not None:
            keys = [transaction["transactionKey"] for transaction in found]
            if after not in keys:
                raise HttpError(400, BAD_CURSOR)
            start = keys.index(after) + 1
        return [records.snapshot(transaction) for transaction in found[start : start + limit]]


def backdate(state: TossState, payment_key: str, seconds: float) -> None:
    """Move the transactions of a payment `seconds` into the past (a test hook)."""
    for transaction in state.transactions.values():
        if transaction["paymentKey"] == payment_key:
            transaction["transactionAt"] = records.shift_iso(transaction["transactionAt"], seconds)
