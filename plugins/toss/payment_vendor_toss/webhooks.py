"""Toss Payments' inbound webhooks.

Toss retries any webhook that is not answered 2xx for days, so every well-formed event is
accepted; only a body that is not a Toss event at all is refused (InvalidWebhook, 400). The
original accepted one event type and four statuses and answered 400 to everything else,
prompting endless retries.

* `PAYMENT_STATUS_CHANGED` `{eventType, createdAt, data: Payment}`: the payment
  `data.paymentKey`, except in `READY` and `IN_PROGRESS`, the states before approval, which
  no history can hold (a history is created by approving). `WAITING_FOR_DEPOSIT` is kept: it
  is sent when a virtual account is issued (before registration; the core then finds no
  history and acknowledges it) but also when a deposit is reversed (`DONE` back to
  `WAITING_FOR_DEPOSIT`, as Toss documents). `EXPIRED` and `ABORTED` are kept too. Statuses
  Toss may add later are kept: the core re-fetches, so an extra look costs one call.
* `DEPOSIT_CALLBACK` (virtual-account deposits and their cancellation): Toss sends it as
  `{createdAt, secret, status, transactionKey, orderId}`, without `eventType` and without a
  paymentKey. It names the payment when a paymentKey is present; otherwise it is ignored,
  because Toss reports the same deposit as `PAYMENT_STATUS_CHANGED`, which names it:
  subscribe to that event.
* `CANCEL_STATUS_CHANGED` and any other payment-carrying event: the payment when `data` (or
  the body) has a paymentKey, else ignored.
* Events about other things (payouts, BrandPay methods and customers, billing keys, ...):
  ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from payment_service.vendors import InvalidWebhook, WebhookNotice

PAYMENT_STATUS_CHANGED = "PAYMENT_STATUS_CHANGED"
DEPOSIT_CALLBACK = "DEPOSIT_CALLBACK"
# Events that can concern a payment besides PAYMENT_STATUS_CHANGED.
PAYMENT_EVENTS = (DEPOSIT_CALLBACK, "CANCEL_STATUS_CHANGED")
NOT_APPROVED = ("READY", "IN_PROGRESS")


def read_webhook(body: Any) -> WebhookNotice:
    if not isinstance(body, Mapping):
        raise InvalidWebhook("The Toss webhook body must be a JSON object.")
    event = body.get("eventType")
    if event is None and _is_deposit_callback(body):
        event = DEPOSIT_CALLBACK
    if not isinstance(event, str) or not event:
        raise InvalidWebhook(
            "The Toss webhook body needs an 'eventType' string.", field="eventType"
        )
    if event == PAYMENT_STATUS_CHANGED:
        return _payment_status_changed(body)
    if event in PAYMENT_EVENTS:
        key = _payment_key(body)
        if key is None:
            return WebhookNotice(None, f"Toss {event} names no paymentKey")
        return WebhookNotice(key, f"Toss {event}")
    return WebhookNotice(None, f"Toss {event} does not concern a payment")


def _payment_status_changed(body: Mapping[str, Any]) -> WebhookNotice:
    data = body.get("data")
    if not isinstance(data, Mapping):
        raise InvalidWebhook("The Toss webhook field 'data' must be an object.", field="data")
    for field in ("paymentKey", "status"):
        value = data.get(field)
        if not isinstance(value, str) or not value:
            raise InvalidWebhook(
                f"The Toss webhook field 'data.{field}' must be a non-empty string.",
                field=f"data.{field}",
            )
    status = data["status"]
    if status in NOT_APPROVED:
        return WebhookNotice(None, f"a Toss payment in {status} is not approved yet")
    return WebhookNotice(data["paymentKey"], f"Toss reports the payment {status}")


def _is_deposit_callback(body: Mapping[str, Any]) -> bool:
    return isinstance(body.get("secret"), str) and isinstance(body.get("status"), str)


def _payment_key(body: Mapping[str, Any]) -> str | None:
    data = body.get("data")
    for holder in (data if isinstance(data, Mapping) else {}, body):
        key = holder.get("paymentKey")
        if isinstance(key, str) and key:
            return key
    return None
