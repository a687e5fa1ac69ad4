"""Billing: registering a card for recurring payments, looking it up, and charging it.

Same conventions as `payments`: validated input, state changed under its lock, copies returned.
"""

from __future__ import annotations

from fake_servers.common.http import HttpError

from . import records, transactions
from .records import Json
from .state import Billing, TossState


def register(state: TossState, input: Json) -> Json:
    billing = records.billing(input, state.clock)
    with state.lock:
        state.billings.set(billing["billingKey"], Billing(billing, dict(input)))
        return records.snapshot(billing)


def at(state: TossState, billing_key: str, input: Json) -> Json:
    """The registered billing, shown only to the customer it was registered for."""
    with state.lock:
        billing = state.billings.get(billing_key).record
        if billing["customerKey"] != input["customerKey"]:
            raise HttpError(403, "Different customer.")
        return records.snapshot(billing)


def pay(state: TossState, billing_key: str, input: Json) -> Json:
    """Charge the card registered under `billing_key` (the path's key, not the body's).

    The body's `customerKey` is not compared, as in the original: its own tests charge with a
    customer key other than the registered one.
    """
    with state.lock:
        card = state.billings.get(billing_key).card
        payment = records.card_payment(
            input,
            card_number=card["cardNumber"],
            installment_months=0,
            approved=True,
            type="BILLING",
            clock=state.clock,
        )
        state.payments.set(payment["paymentKey"], payment)
        transactions.record_approval(state, payment)
        return records.snapshot(payment)
