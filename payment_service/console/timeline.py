"""A payment's history as one list of events, oldest first: created, approved (with the
gateway's answer), each refund and who asked for it, each gateway webhook that changed it,
and each outgoing webhook with every delivery attempt. Built from the stored rows, decrypted
here, on the server."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..db import Database, PaymentHistory, PaymentHistoryWebhook
from ..db.places import place
from ..db.queries import search
from ..payments.views import history_view
from ..settings import Keys
from . import audit

# Outgoing webhooks' events (`delivery.outbox.enqueue`): what caused the change. Any other
# event is the body of the gateway's own webhook that made us re-fetch the payment.
CAUSES = {"cancel": "a refund", "sync": "a re-fetch from the gateway"}


@dataclass(frozen=True)
class Attempt:
    at: datetime
    status: int | None
    duration_ms: int | None
    error: str | None


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str
    """created, approved, refund, gateway_webhook, webhook"""
    title: str
    detail: Any = None
    attempts: list[Attempt] = field(default_factory=list)
    webhook_id: str | None = None
    status: str | None = None


@dataclass(frozen=True)
class PaymentPage:
    view: dict[str, Any]
    """The record as the API returns it."""
    events: list[Event]
    refundable: Any
    webhook_url: str


def load(database: Database, keys: Keys, history_id: str) -> PaymentPage | None:
    operator_refunds = [
        entry
        for entry in audit.entries(database, target=history_id, action=audit.PAYMENT_REFUND)
        if entry.outcome == audit.OK
    ]
    with database.reading() as session:
        row = search.payment_with_history(session, history_id)
        if row is None:
            return None
        view = history_view(row, keys.history)
        webhooks = search.webhooks_of_payment(session, history_id)
        events = _events(row, view, webhooks, keys, operator_refunds)
        refundable = row.price - (row.refund or 0)
        return PaymentPage(view, events, refundable, view["webhook_url"])


def _events(
    row: PaymentHistory,
    view: dict[str, Any],
    webhooks: list[PaymentHistoryWebhook],
    keys: Keys,
    operator_refunds: list[audit.Entry],
) -> list[Event]:
    events = [Event(row.created_at, "created", "Registered by the calling service (API)")]
    data = view["data"]
    gateway_status = data.get("status") if isinstance(data, dict) else None
    if row.paid_at is not None:
        events.append(
            Event(row.paid_at, "approved", f"Approved by {row.vendor_code}", gateway_status)
        )
    unclaimed = list(operator_refunds)
    for cancel in row.cancels:
        asked = next((entry for entry in unclaimed if entry.reason == cancel.reason), None)
        if asked is not None:
            unclaimed.remove(asked)
            who = f"operator {asked.operator}"
        else:
            who = "the API (or the gateway's own admin)"
        title = f"Refund of {cancel.amount} {row.currency}, asked by {who}"
        events.append(Event(cancel.created_at, "refund", title, cancel.reason))
    for webhook in webhooks:
        event = keys.webhook.decrypt_json(webhook.data, place(webhook, "data"))
        kind = event.get("type") if isinstance(event, dict) else None
        if kind in CAUSES:
            cause = CAUSES[kind]
        elif isinstance(event, dict) and "reconciliation" in event:
            cause = "a reconciliation repair"
        else:
            cause = "a gateway webhook"
            events.append(
                Event(webhook.created_at, "gateway_webhook", "Webhook from the gateway", event)
            )
        attempts = [
            Attempt(response.created_at, response.status, response.duration_ms, response.error)
            for response in webhook.responses
        ]
        events.append(
            Event(
                webhook.created_at,
                "webhook",
                f"Webhook to the calling service, after {cause}",
                attempts=attempts,
                webhook_id=webhook.id,
                status=webhook.status,
            )
        )
    return sorted(events, key=lambda event: event.at)
