"""The request a service receives (docs/payment-api.md §4.8): `text/plain`, the connection-key
ciphertext of `{id, source, previous, current}` — byte-compatible with the original, so its
SDK decodes it.

The body is always encrypted with the current connection pair: receivers are moved to a new
key before the server (they accept several pairs meanwhile, see `decode_webhook`).

`X-Request-Id` names the request that caused the change (the same id as in our logs).
When `PAYMENT_WEBHOOK_SIGNING_SECRET` is set, Standard Webhooks headers are added as well
(`webhook-id`, `webhook-timestamp`, `webhook-signature`): receivers that know the secret can
check the sender and reject replays; those that do not simply ignore the headers. With several
secrets (a rotation), `webhook-signature` carries one signature per secret.
"""

from __future__ import annotations

from typing import Any

from payment_service_client.webhooks import sign_webhook

from ..crypto import dumps
from ..db import PaymentHistory, PaymentHistoryWebhook, PaymentSchedule
from ..db.places import place
from ..observability import request_ids
from ..settings import Settings


def build_request(
    webhook: PaymentHistoryWebhook,
    subject: PaymentHistory | PaymentSchedule,
    settings: Settings,
    timestamp: int,
) -> tuple[str, dict[str, str]]:
    stored = settings.keys.webhook
    payload: dict[str, Any]
    if isinstance(subject, PaymentSchedule):
        # A schedule's event (docs/subscriptions.md): `type` tells it from a payment's change.
        event = stored.decrypt_json(webhook.data, place(webhook, "data"))
        payload = {
            "id": webhook.id,
            "type": event["type"],
            "previous": stored.decrypt_json(webhook.previous, place(webhook, "previous")),
            "schedule": stored.decrypt_json(webhook.current, place(webhook, "current")),
            "period": event.get("period"),
        }
    else:
        payload = {
            "id": webhook.id,
            "source": {
                "schema": subject.source_schema,
                "table": subject.source_table,
                "id": subject.source_id,
            },
            "previous": stored.decrypt_json(webhook.previous, place(webhook, "previous")),
            "current": stored.decrypt_json(webhook.current, place(webhook, "current")),
        }
    body = settings.keys.connection.encrypt(dumps(payload))
    headers = {"Content-Type": "text/plain"}
    if webhook.request_id:
        # The request that caused this change, so a service can follow it across both logs.
        headers[request_ids.HEADER] = webhook.request_id
    secrets = settings.webhooks.signing_secrets
    if secrets:
        headers.update(sign_webhook(secrets, webhook.id, timestamp, body))
    return body, headers
