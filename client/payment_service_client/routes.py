"""Every route of the payment API as a `Call`: what to send and how to read the answer.

The sync client (`Connection.run`) and the async one (`AsyncConnection.run`) send the same
calls, so both build the same bodies and paths, and parse the same answers, from here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar
from uuid import UUID

from .connection import NO_BODY, new_idempotency_key, path_id
from .models import (
    AccountInput,
    Amount,
    PaymentHistory,
    PaymentReservation,
    Performance,
    Schedule,
    SourceInput,
    SystemInfo,
    VendorInput,
    VendorPlugin,
    WebhookCounts,
    account_input,
    amount_input,
    source_input,
    vendor_input,
)

T = TypeVar("T")
R = TypeVar("R")

HISTORIES = "/payments/histories"
RESERVATIONS = "/payments/reservations"
SCHEDULES = "/payments/schedules"


@dataclass(frozen=True)
class Call(Generic[T]):
    """One request: `body` is encrypted when given, the answer decrypted and `parse`d.

    A write carries an `idempotency_key`, which lets the connection retry it safely.
    """

    method: str
    path: str
    parse: Callable[[Any], T]
    status: int
    body: Any = NO_BODY
    idempotency_key: str | None = None


# -- histories and reservations: registered with an idempotent write, read by source or id


def register(
    prefix: str,
    parse: Callable[[Any], R],
    vendor: VendorInput,
    source: SourceInput,
    key: str | None,
    **fields: Any,
) -> Call[R]:
    """``POST`` a new record: its vendor and source, then the kind's own `fields`, with an
    ``Idempotency-Key`` (`key`, or a fresh one)."""
    body = {"vendor": vendor_input(vendor), "source": source_input(source), **fields}
    return Call("POST", prefix, parse, 201, body, key or new_idempotency_key())


def by_source(
    prefix: str, parse: Callable[[Any], R], source: SourceInput, password: str
) -> Call[R]:
    body = {**source_input(source), "password": password}
    return Call("PATCH", f"{prefix}/get", parse, 200, body)


def by_id(prefix: str, parse: Callable[[Any], R], id: str | UUID, password: str) -> Call[R]:
    return Call("PATCH", f"{prefix}/{path_id(id)}", parse, 200, {"password": password})


def create_history(
    vendor: VendorInput,
    source: SourceInput,
    price: Amount,
    password: str,
    webhook_url: str,
    key: str | None,
) -> Call[PaymentHistory]:
    return register(
        HISTORIES,
        PaymentHistory.from_dict,
        vendor,
        source,
        key,
        price=amount_input(price),
        password=password,
        webhook_url=webhook_url,
    )


def cancel_history(
    source: SourceInput,
    password: str,
    price: Amount,
    reason: str,
    account: AccountInput | None,
    key: str | None,
) -> Call[PaymentHistory]:
    body = {
        "source": source_input(source),
        "password": password,
        "price": amount_input(price),
        "reason": reason,
        # A required key on the wire: null when there is no account.
        "account": account_input(account),
    }
    path = f"{HISTORIES}/cancel"
    return Call("PUT", path, PaymentHistory.from_dict, 200, body, key or new_idempotency_key())


def create_reservation(
    vendor: VendorInput, source: SourceInput, title: str, password: str, key: str | None
) -> Call[PaymentReservation]:
    return register(
        RESERVATIONS,
        PaymentReservation.from_dict,
        vendor,
        source,
        key,
        title=title,
        password=password,
    )


# -- saved cards charged: once, or on a schedule


def charge_reservation(
    id: str | UUID,
    password: str,
    source: SourceInput,
    price: Amount,
    title: str,
    webhook_url: str,
    key: str | None,
) -> Call[PaymentHistory]:
    body = {
        "password": password,
        "source": source_input(source),
        "price": amount_input(price),
        "title": title,
        "webhook_url": webhook_url,
    }
    path = f"{RESERVATIONS}/{path_id(id)}/charges"
    return Call("POST", path, PaymentHistory.from_dict, 201, body, key or new_idempotency_key())


def create_schedule(
    reservation_id: str | UUID,
    password: str,
    price: Amount,
    title: str,
    every: Literal["month", "week", "day"],
    first_at: datetime,
    webhook_url: str,
    retries: Sequence[str] | None,
    key: str | None,
) -> Call[Schedule]:
    body: dict[str, Any] = {
        "password": password,
        "price": amount_input(price),
        "title": title,
        "every": every,
        "first_at": first_at.isoformat(),
        "webhook_url": webhook_url,
    }
    if retries is not None:  # left out, the server's default retries apply
        body["retries"] = list(retries)
    path = f"{RESERVATIONS}/{path_id(reservation_id)}/schedules"
    return Call("POST", path, Schedule.from_dict, 201, body, key or new_idempotency_key())


def cancel_schedule(id: str | UUID, password: str) -> Call[Schedule]:
    # No idempotency key: cancelling again answers the same cancelled schedule.
    path = f"{SCHEDULES}/{path_id(id)}/cancel"
    return Call("PUT", path, Schedule.from_dict, 200, {"password": password})


# -- monitors

SYSTEM = Call("GET", "/monitors/system", SystemInfo.from_dict, 200)
PERFORMANCE = Call("GET", "/monitors/performance", Performance.from_dict, 200)
PLUGINS = Call("GET", "/monitors/plugins", VendorPlugin.from_list, 200)
WEBHOOKS = Call("GET", "/monitors/webhooks", WebhookCounts.from_dict, 200)
