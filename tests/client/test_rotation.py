"""The SDK during a rotation: webhooks decoded with several connection pairs, and deliveries
signed with several secrets (Standard Webhooks), checked by the SDK, by the rules written out
here, and by the reference `standardwebhooks` package."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from payment_service.client import (
    WebhookDecodeError,
    WebhookSignatureError,
    decode_webhook,
    sign_webhook,
    verify_webhook_signature,
)

from .samples import WEBHOOK_ID, webhook_payload
from .wire import IV, KEY, aes_encrypt, js_stringify

NEW = ("Xq8vT2mR6kP0wZ4nB7cY1hL5sJ9dF3gA", "u7Hc2Kp9Wm4Rz6Tb")
STRANGER = ("0123456789abcdef0123456789abcdef", "fedcba9876543210")
OLD_SECRET = "whsec_b2xkLXNpZ25pbmctc2VjcmV0LTEyMzQ="
NEW_SECRET = "whsec_bmV3LXNpZ25pbmctc2VjcmV0LTU2Nzg5MA=="
BODY = aes_encrypt(js_stringify(webhook_payload()))


@pytest.mark.parametrize(
    "previous",
    [[(KEY, IV)], [{"key": KEY, "iv": IV}], [STRANGER, (KEY, IV)]],
    ids=["tuple", "dict", "second-of-two"],
)
def test_decode_webhook_accepts_a_previous_pair(previous):
    assert decode_webhook(BODY, *NEW, previous_keys=previous).id == WEBHOOK_ID


def test_decode_webhook_tries_the_current_pair_first():
    body = aes_encrypt(js_stringify(webhook_payload()), *NEW)
    assert decode_webhook(body, *NEW, previous_keys=[(KEY, IV)]).id == WEBHOOK_ID


def test_decode_webhook_refuses_a_body_no_pair_opens():
    with pytest.raises(WebhookDecodeError, match="does not decrypt"):
        decode_webhook(BODY, *NEW, previous_keys=[STRANGER])


def test_an_unusable_previous_pair_is_a_value_error():
    with pytest.raises(ValueError):
        decode_webhook(BODY, *NEW, previous_keys=[("short", IV)])


def signed_headers(now: int) -> dict[str, str]:
    return sign_webhook([NEW_SECRET, OLD_SECRET], WEBHOOK_ID, now, BODY)


def test_two_secrets_give_two_v1_signatures_in_the_order_given():
    now = int(time.time())
    header = signed_headers(now)["webhook-signature"]

    entries = header.split(" ")
    assert len(entries) == 2
    for entry, secret in zip(entries, (NEW_SECRET, OLD_SECRET), strict=True):
        version, signature = entry.split(",")
        assert version == "v1"
        # The Standard Webhooks rule: base64(HMAC-SHA256(base64-decoded secret,
        # "{webhook-id}.{webhook-timestamp}.{body}")).
        key = base64.b64decode(secret.removeprefix("whsec_"))
        digest = hmac.new(key, f"{WEBHOOK_ID}.{now}.{BODY}".encode(), hashlib.sha256).digest()
        assert signature == base64.b64encode(digest).decode()


@pytest.mark.parametrize("secret", [NEW_SECRET, OLD_SECRET, [OLD_SECRET, "whsec_eHh4"]])
def test_a_receiver_knowing_either_secret_accepts_the_delivery(secret):
    now = int(time.time())
    verify_webhook_signature(secret, signed_headers(now), BODY, now=now)


def test_a_receiver_knowing_neither_secret_refuses_it():
    now = int(time.time())
    with pytest.raises(WebhookSignatureError, match="no webhook signature matches"):
        verify_webhook_signature("whsec_eHh4eHh4", signed_headers(now), BODY, now=now)


@pytest.mark.parametrize("secret", [NEW_SECRET, OLD_SECRET])
def test_the_reference_implementation_accepts_either_secret(secret):
    standardwebhooks = pytest.importorskip("standardwebhooks")
    headers = signed_headers(int(time.time()))

    assert standardwebhooks.Webhook(secret).verify(BODY, headers, json_parse=False) is None
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_eHh4eHh4").verify(BODY, headers, json_parse=False)


def test_sign_webhook_needs_at_least_one_secret():
    with pytest.raises(ValueError, match="no webhook secret"):
        sign_webhook([], WEBHOOK_ID, 0, BODY)
