"""Webhook deliveries while the signing secret rotates: one signature per configured secret."""

from __future__ import annotations

import pytest

from payment_service.client import WebhookSignatureError, verify_webhook_signature

from .conftest import deliver_one

NEW_SECRET = "whsec_bmV3LXNpZ25pbmctc2VjcmV0LTU2Nzg5MA=="
OLD_SECRET = "old-secret-as-plain-text"  # not whsec_: its UTF-8 bytes are the HMAC key


def test_each_delivery_carries_a_signature_per_secret(database_url):
    both = f"{NEW_SECRET} {OLD_SECRET}"
    delivered = deliver_one(database_url, PAYMENT_WEBHOOK_SIGNING_SECRET=both)
    headers, bodies = delivered.headers, [delivered.body]

    assert delivered.received.id == delivered.webhook_id
    entries = headers["Webhook-Signature"].split(" ")
    assert [entry.split(",")[0] for entry in entries] == ["v1", "v1"]
    # A receiver still on the old secret, one already on the new, one knowing both: all accept.
    for secrets in (OLD_SECRET, NEW_SECRET, [NEW_SECRET, OLD_SECRET]):
        verify_webhook_signature(secrets, headers, bodies[0])
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature("whsec_eHh4eHh4", headers, bodies[0])
    standardwebhooks = pytest.importorskip("standardwebhooks")
    standardwebhooks.Webhook(NEW_SECRET).verify(bodies[0], headers, json_parse=False)
