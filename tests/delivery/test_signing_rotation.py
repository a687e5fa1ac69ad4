"""Webhook deliveries while the signing secret rotates: one signature per configured secret."""

from __future__ import annotations

import pytest

from payment_service.app import create_runtime
from payment_service.client import WebhookSignatureError, verify_webhook_signature
from payment_service.delivery.dispatcher import Dispatcher
from payment_service.testing import WebhookReceiver

from .conftest import delivery_settings, keep_bodies, seed

NEW_SECRET = "whsec_bmV3LXNpZ25pbmctc2VjcmV0LTU2Nzg5MA=="
OLD_SECRET = "old-secret-as-plain-text"  # not whsec_: its UTF-8 bytes are the HMAC key


def test_each_delivery_carries_a_signature_per_secret(database_url):
    settings = delivery_settings(
        database_url, PAYMENT_WEBHOOK_SIGNING_SECRET=f"{NEW_SECRET} {OLD_SECRET}"
    )
    runtime = create_runtime(settings)
    keys = runtime.settings.keys.connection
    try:
        with WebhookReceiver(keys.key, keys.iv) as receiver:
            bodies = keep_bodies(receiver)
            [[webhook_id]] = seed(runtime, receiver.url)
            Dispatcher(runtime).run_once()
            (headers,) = receiver.headers
    finally:
        runtime.close()

    assert receiver.received[0].id == webhook_id
    entries = headers["Webhook-Signature"].split(" ")
    assert [entry.split(",")[0] for entry in entries] == ["v1", "v1"]
    # A receiver still on the old secret, one already on the new, one knowing both: all accept.
    for secrets in (OLD_SECRET, NEW_SECRET, [NEW_SECRET, OLD_SECRET]):
        verify_webhook_signature(secrets, headers, bodies[0])
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature("whsec_eHh4eHh4", headers, bodies[0])
    standardwebhooks = pytest.importorskip("standardwebhooks")
    standardwebhooks.Webhook(NEW_SECRET).verify(bodies[0], headers, json_parse=False)
