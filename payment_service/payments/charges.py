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
from typing import Any

from ..db import PaymentReservation
from ..db.queries import records
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

PLACEHOLDER_PREFIX = "charge:"


def charge(
    runtime: Runtime,
    reservation_id: str,
    new: NewCharge,
    *,
    resume: bool = False,
    event: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Charge `new.price` on the reservation's saved card for the order `new.source` and
    return the recorded payment (`IPaymentHistory`). `resume`: this exact request ran before
    with an unknown outcome. `event`: what the webhook of the new payment says caused it."""
    with runtime.database.reading() as session:
        row = records.by_id(session, PaymentReservation, reservation_id)
        found = None
        if row is not None:
            found = (row.password, row.vendor_code, row.vendor_store_id, row.vendor_uid)
            customer_id = row.source_id
    access.verify(
        new.password, found[0] if found else None, RESERVATION, record_id=reservation_id.lower()
    )
    assert found is not None
    _, code, store_id, billing_key = found
    vendor = runtime.vendors.get(code)
    history = NewHistory(
        # The gateway's payment id is known only once it has charged: the claim holds a stand-in
        # made from the order, so a second request for the same order finds it.
        vendor=VendorRef(code, store_id, placeholder_uid(new.source)),
        source=new.source,
        price=new.price,
        password=new.password,
        webhook_url=new.webhook_url,
    )

    def charge_at_gateway(taken_over: bool) -> tuple[str, dict[str, Any]]:
        request = BillingCharge(
            billing_key=billing_key,
            customer_id=customer_id,
            order_id=new.source.id,
            amount=new.price,
            title=new.title,
            resume=taken_over,
        )
        charged = vendor.charge_billing_key(store_id, request)
        return charged.uid, charged.payment

    cause = event if event is not None else {"type": "charge"}
    try:
        view = histories.record_gateway_payment(
            runtime,
            vendor,
            history,
            charge_at_gateway,
            resume=resume,
            event={**cause, "reservation_id": reservation_id.lower()},
            unknown_outcome=outcome_unknown,
        )
    except BaseException as error:
        count_billing_charge(code, _outcome(error))
        raise
    count_billing_charge(code, "paid")
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
