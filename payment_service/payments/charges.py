"""Charging a saved card (a reservation's billing key) through the gateway's billing API:
`POST /payments/reservations/{id}/charges` (docs/subscriptions.md).

The payment the gateway makes is recorded by the same saga as a registered one
(`histories.record_gateway_payment`): the order (`source`) is claimed before the gateway is
asked, so a duplicate is refused with 409 without charging; a declined charge releases the
claim and records nothing; the paid payment replaces the claim, encrypted, and is reported to
`webhook_url` in the same transaction.

A charge, unlike an approval, is not safe to repeat blindly. So whenever its outcome is not
known — the gateway timed out, failed (5xx) or dropped the connection after the request may
have reached it — the claim is kept, and the request that takes it over (the same
`Idempotency-Key`, or any request for the order once the claim has aged) asks the plugin to
look the order up first (`BillingCharge.resume`) and charges only if the gateway has no
payment of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ..db import PaymentHistory, PaymentReservation
from ..db.queries import records
from ..db.queries.claims import CHARGE_PREFIX
from ..observability.metrics import count_billing_charge
from ..runtime import Runtime
from ..vendors import (
    BillingCharge,
    ChargeDeclined,
    ChargingUnsupported,
    GatewayError,
    GatewayRejected,
)
from . import access, histories
from .inputs import NewCharge, NewHistory, Source, VendorRef
from .reservations import WHAT as RESERVATION

PLACEHOLDER_PREFIX = CHARGE_PREFIX


@dataclass(frozen=True)
class SavedCard:
    """What a charge needs of a reservation."""

    id: str
    vendor_code: str
    store_id: str
    billing_key: str
    customer_id: str


def charge(
    runtime: Runtime, reservation_id: str, new: NewCharge, *, resume: bool = False
) -> dict[str, Any]:
    """Charge `new.price` on the reservation's saved card for the order `new.source` and
    return the recorded payment (`IPaymentHistory`), protected by the same password.
    `resume`: this exact request ran before with an unknown outcome."""
    with runtime.database.reading() as session:
        row = records.by_id(session, PaymentReservation, reservation_id)
        found = None if row is None else (row.password, saved_card(row))
    access.verify(
        new.password, found[0] if found else None, RESERVATION, record_id=reservation_id.lower()
    )
    assert found is not None
    return charge_saved(runtime, found[1], new, resume=resume, event={"type": "charge"})


def saved_card(row: PaymentReservation) -> SavedCard:
    return SavedCard(row.id, row.vendor_code, row.vendor_store_id, row.vendor_uid, row.source_id)


def charge_saved(
    runtime: Runtime,
    card: SavedCard,
    new: NewCharge,
    *,
    resume: bool = False,
    event: dict[str, Any],
    password_hash: str | None = None,
    on_recorded: Callable[[Session, PaymentHistory], None] | None = None,
) -> dict[str, Any]:
    """Charge `card` (its password already checked, or the server acting on its own with
    `password_hash`, the hash that then protects the payment). `event`: what the webhook of
    the new payment says caused it; `on_recorded`: see `histories.record_gateway_payment`."""
    vendor = runtime.vendors.get(card.vendor_code)
    history = NewHistory(
        # The gateway's payment id is known only once it has charged: the claim holds a stand-in
        # made from the order, so a second request for the same order finds it.
        vendor=VendorRef(card.vendor_code, card.store_id, placeholder_uid(new.source)),
        source=new.source,
        price=new.price,
        password=new.password,
        webhook_url=new.webhook_url,
        password_hash=password_hash,
    )

    def charge_at_gateway(taken_over: bool) -> tuple[str, dict[str, Any]]:
        request = BillingCharge(
            billing_key=card.billing_key,
            customer_id=card.customer_id,
            order_id=new.source.id,
            amount=new.price,
            title=new.title,
            resume=taken_over,
        )
        charged = vendor.charge_billing_key(card.store_id, request)
        return charged.uid, charged.payment

    try:
        view = histories.record_gateway_payment(
            runtime,
            vendor,
            history,
            charge_at_gateway,
            resume=resume,
            event={**event, "reservation_id": card.id},
            unknown_outcome=outcome_unknown,
            on_recorded=on_recorded,
        )
    except BaseException as error:
        count_billing_charge(card.vendor_code, _outcome(error))
        raise
    count_billing_charge(card.vendor_code, "paid")
    return view


def outcome_unknown(error: BaseException) -> bool:
    """Whether the charge may have happened although the call failed: any gateway failure
    that is not a refusal (a timeout, a 5xx, a connection lost after sending)."""
    return isinstance(error, GatewayError) and not isinstance(error, GatewayRejected)


def placeholder_uid(source: Source) -> str:
    """The claim's stand-in for the gateway's payment id: one per order."""
    digest = hashlib.sha256("\0".join((source.schema, source.table, source.id)).encode())
    return PLACEHOLDER_PREFIX + digest.hexdigest()


def _outcome(error: BaseException) -> str:
    if isinstance(error, ChargeDeclined):
        return "declined"
    if isinstance(error, ChargingUnsupported):
        return "unsupported"
    if outcome_unknown(error):
        return "unknown"
    if isinstance(error, GatewayRejected):
        return "refused"
    return "error"
