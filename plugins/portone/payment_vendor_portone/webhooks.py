"""PortOne V2's inbound webhooks: signed per Standard Webhooks, `{type, timestamp, data}`.

The signature is checked first, on the raw body, against the webhook secrets of the configured
stores; a request that is unsigned, badly signed or too old (more than 5 minutes either way,
PortOne's SDKs' tolerance) is refused with 401 and nothing else happens. A signed delivery's
`webhook-id` is returned to the core, which answers a replay of it within the tolerance with 201
and no re-fetch.

* `Transaction.*` (`Ready`, `Paid`, `VirtualAccountIssued`, `PartialCancelled`, `Cancelled`,
  `Failed`, `PayPending`, `CancelPending`, dispute events, ...): the payment `data.paymentId`,
  re-fetched from PortOne. `Transaction.Ready` is ignored: no history can hold a payment that
  was never paid (a history is created by approving).
* `BillingKey.*`: ignored (a reservation holds the billing key as registered; nothing to sync).
* Any other type: ignored, so PortOne does not retry events added after this plugin.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

# The SDK's verifier: Standard Webhooks, as PortOne's own SDKs check it.
from payment_service_client import WebhookSignatureError, verify_webhook_signature

from payment_service.vendors import (
    InvalidWebhook,
    SignedDelivery,
    WebhookNotice,
    WebhookUnauthorized,
)

TOLERANCE_S = 5 * 60
NOT_PAID_YET = ("Transaction.Ready",)


def verify(secrets: Iterable[str], headers: Mapping[str, str], body: bytes) -> SignedDelivery:
    """The delivery's identity once its signature passes: its `webhook-id`, remembered by the
    core until the signature's timestamp falls out of the tolerance (a replay before then is
    answered 201 without a re-fetch)."""
    configured = list(secrets)
    if not configured:
        raise WebhookUnauthorized(
            "No PortOne webhook secret is configured, so no PortOne webhook can be verified."
        )
    try:
        verify_webhook_signature(configured, headers, body, TOLERANCE_S)
    except WebhookSignatureError as error:
        raise WebhookUnauthorized(f"The PortOne webhook signature is refused: {error}.") from None
    found = {name.lower(): value for name, value in headers.items()}
    # Both headers are present and well-formed: the signature check above required them.
    signed_at = datetime.fromtimestamp(int(found["webhook-timestamp"]), UTC)
    return SignedDelivery(found["webhook-id"], signed_at + timedelta(seconds=TOLERANCE_S))


def read_webhook(body: Any) -> WebhookNotice:
    if not isinstance(body, Mapping):
        raise InvalidWebhook("The PortOne webhook body must be a JSON object.")
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        raise InvalidWebhook("The PortOne webhook needs a 'type' string.", field="type")
    if not kind.startswith("Transaction."):
        return WebhookNotice(None, f"PortOne {kind} does not concern a payment")
    data = body.get("data")
    payment_id = data.get("paymentId") if isinstance(data, Mapping) else None
    if not isinstance(payment_id, str) or not payment_id:
        raise InvalidWebhook(
            "The PortOne webhook field 'data.paymentId' must be a non-empty string.",
            field="data.paymentId",
        )
    if kind in NOT_PAID_YET:
        return WebhookNotice(None, f"PortOne {kind}: the payment is not paid yet")
    return WebhookNotice(payment_id, f"PortOne {kind}")
