"""Telling the merchant that a payment changed, the way iamport does: fire and forget."""

from __future__ import annotations

from .records import Payment, Webhook
from .state import State


def notify(state: State, payment: Payment) -> Webhook:
    """Record the webhook now, and post it from the background sender.

    The record is kept synchronously so that tests can assert on it as soon as the request that
    caused it returns; delivery happens later and its outcome is ignored.
    """
    webhook = Webhook(
        imp_uid=payment.imp_uid, merchant_uid=payment.merchant_uid, status=payment.status
    )
    with state.lock:
        history = state.webhooks.find(payment.imp_uid)
        if history is None:
            history = state.webhooks.set(payment.imp_uid, [])
        history.append(webhook)
    # A payment keeps the notice_url it was created with; the others follow the current setting.
    state.sender.send(payment.notice_url or state.default_webhook_url(), webhook.to_json())
    return webhook


def last_webhook(state: State) -> Webhook | None:
    """The latest webhook of the payment whose first webhook came last (the original's `back()`)."""
    with state.lock:
        histories = list(state.webhooks.values())
    return histories[-1][-1] if histories else None


def webhooks_for(state: State, imp_uid: str) -> list[Webhook]:
    """Every webhook still remembered for one payment, oldest first."""
    with state.lock:
        return list(state.webhooks.find(imp_uid) or [])
