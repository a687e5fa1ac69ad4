"""Standard Webhooks signatures: sign_webhook and verify_webhook_signature."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from payment_service.client import (
    WebhookSignatureError,
    generate_webhook_secret,
    sign_webhook,
    verify_webhook_signature,
    webhook_key,
)

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
TS = 1614265330
BODY = '{"test": 2432232314}'
# The published Standard Webhooks test vector: other libraries must accept what we sign.
VECTOR = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def reference_signature(key: bytes, id_: str, ts: int, body: str) -> str:
    digest = hmac.new(key, f"{id_}.{ts}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(signature: str, id_: str = ID, ts: int = TS) -> dict[str, str]:
    return {"webhook-id": id_, "webhook-timestamp": str(ts), "webhook-signature": signature}


def test_signing_reproduces_the_standard_webhooks_vector() -> None:
    assert sign_webhook(SECRET, ID, TS, BODY) == headers(VECTOR)


def test_a_whsec_secret_is_base64_decoded() -> None:
    key = base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    assert webhook_key(SECRET) == key
    assert reference_signature(key, ID, TS, BODY) == VECTOR


def test_a_plain_secret_is_used_as_its_utf8_bytes() -> None:
    signed = sign_webhook("비밀-secret", ID, TS, BODY)

    expected = reference_signature("비밀-secret".encode(), ID, TS, BODY)
    assert signed["webhook-signature"] == expected


def test_a_good_signature_verifies() -> None:
    verify_webhook_signature(SECRET, headers(VECTOR), BODY, now=TS)


def test_what_sign_webhook_produces_verifies_with_bytes_body() -> None:
    signed = sign_webhook("raw-secret", "evt_1", TS, b"Q0xWNDhnQWFYU0hUT2JnMjd1L0hQUT09")

    verify_webhook_signature("raw-secret", signed, b"Q0xWNDhnQWFYU0hUT2JnMjd1L0hQUT09", now=TS)


def test_a_tampered_body_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError, match="no webhook signature matches"):
        verify_webhook_signature(SECRET, headers(VECTOR), BODY.replace("2", "3"), now=TS)


def test_a_tampered_id_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(SECRET, headers(VECTOR, id_="msg_other"), BODY, now=TS)


def test_a_wrong_secret_is_rejected() -> None:
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(generate_webhook_secret(), headers(VECTOR), BODY, now=TS)


def test_the_same_text_with_and_without_whsec_prefix_are_different_keys() -> None:
    # Without the prefix the text itself is the key, so this must not verify.
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(SECRET[len("whsec_") :], headers(VECTOR), BODY, now=TS)


@pytest.mark.parametrize("offset", [-300, 0, 300])
def test_timestamps_within_the_tolerance_pass(offset: int) -> None:
    verify_webhook_signature(SECRET, headers(VECTOR), BODY, now=TS + offset)


@pytest.mark.parametrize(("offset", "word"), [(301, "too old"), (-301, "in the future")])
def test_a_stale_or_future_timestamp_is_rejected(offset: int, word: str) -> None:
    with pytest.raises(WebhookSignatureError, match=word):
        verify_webhook_signature(SECRET, headers(VECTOR), BODY, now=TS + offset)


def test_the_tolerance_is_configurable() -> None:
    with pytest.raises(WebhookSignatureError, match="too old"):
        verify_webhook_signature(SECRET, headers(VECTOR), BODY, tolerance_s=10, now=TS + 11)


def test_without_now_the_clock_is_used() -> None:
    signed = sign_webhook(SECRET, ID, int(datetime.now(UTC).timestamp()), BODY)
    verify_webhook_signature(SECRET, signed, BODY)

    with pytest.raises(WebhookSignatureError, match="too old"):
        verify_webhook_signature(SECRET, headers(VECTOR), BODY)


def test_any_one_of_several_signatures_may_match() -> None:
    wrong = reference_signature(b"another key", ID, TS, BODY)
    header = f"v1,bm9wZQ== {wrong} v2,{VECTOR[3:]} {VECTOR}"

    verify_webhook_signature(SECRET, headers(header), BODY, now=TS)


def test_signatures_of_other_versions_are_ignored() -> None:
    # The right digest under a version tag we do not know must not count.
    with pytest.raises(WebhookSignatureError):
        verify_webhook_signature(SECRET, headers("v1a," + VECTOR[3:]), BODY, now=TS)


def test_several_secrets_allow_rotation() -> None:
    verify_webhook_signature(["whsec_" + "A" * 32, SECRET], headers(VECTOR), BODY, now=TS)


def test_header_names_are_case_insensitive_and_pairs_work() -> None:
    title_case = {
        "Webhook-Id": ID,
        "Webhook-Timestamp": str(TS),
        "Webhook-Signature": VECTOR,
    }
    verify_webhook_signature(SECRET, title_case, BODY, now=TS)
    verify_webhook_signature(SECRET, list(title_case.items()), BODY, now=TS)


@pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
def test_a_missing_header_is_named(missing: str) -> None:
    partial = headers(VECTOR)
    del partial[missing]

    with pytest.raises(WebhookSignatureError, match=missing):
        verify_webhook_signature(SECRET, partial, BODY, now=TS)


@pytest.mark.parametrize("stamp", ["1614265330.5", "-1", "abc", "1e9"])
def test_a_timestamp_that_is_not_unix_seconds_is_rejected(stamp: str) -> None:
    with pytest.raises(WebhookSignatureError, match="not Unix seconds"):
        verify_webhook_signature(
            SECRET, {**headers(VECTOR), "webhook-timestamp": stamp}, BODY, now=TS
        )


def test_sign_accepts_an_aware_datetime() -> None:
    moment = datetime.fromtimestamp(TS, UTC)
    assert sign_webhook(SECRET, ID, moment, BODY) == headers(VECTOR)


@pytest.mark.parametrize("secret", ["", "whsec_", "whsec_not*base64"])
def test_unusable_secrets_are_refused(secret: str) -> None:
    with pytest.raises(ValueError):
        sign_webhook(secret, ID, TS, BODY)


def test_generated_secrets_carry_32_random_bytes() -> None:
    first, second = generate_webhook_secret(), generate_webhook_secret()
    assert first.startswith("whsec_") and first != second
    assert len(webhook_key(first)) == 32
