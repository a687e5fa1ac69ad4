"""decode_webhook: the payload of docs/payment-api.md §4.8, and what a wrong key or body gives."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from payment_service.client import (
    PaymentSource,
    PaymentWebhook,
    WebhookDecodeError,
    decode_webhook,
)
from payment_service.crypto import Cipher

from .samples import HISTORY_ID, ORDER_ID, SOURCE, WEBHOOK_ID, webhook_payload
from .wire import IV, KEY, aes_encrypt, js_stringify

# What the original server sends, written out by hand: JSON.stringify of {id, source,
# previous, current}, previous/current with `source` and cancels with the extra `time`.
SPEC_BODY_JSON = (
    '{"id":"' + WEBHOOK_ID + '",'
    '"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
    '"previous":{"id":"' + HISTORY_ID + '","vendor_code":"iamport",'
    '"vendor":{"code":"iamport","uid":"imp_1","store_id":"test-iamport-create-id"},'
    '"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
    '"cancels":[],"currency":"KRW","price":19900,"refund":null,'
    '"data":{"imp_uid":"imp_1","status":"ready","amount":19900,"paid_at":0},'
    '"webhook_url":"https://shop.example.com/hooks","created_at":"2024-05-01T03:04:05.678Z",'
    '"paid_at":null,"cancelled_at":null},'
    '"current":{"id":"' + HISTORY_ID + '","vendor_code":"iamport",'
    '"vendor":{"code":"iamport","uid":"imp_1","store_id":"test-iamport-create-id"},'
    '"source":{"schema":"some-schema","table":"some-table","id":"' + ORDER_ID + '"},'
    '"cancels":[{"price":3980,"reason":"환불","created_at":"2024-05-02T00:00:01.500Z",'
    '"time":"2024-05-02T00:00:01.500Z"}],"currency":"KRW","price":19900,"refund":3980.5,'
    '"data":{"imp_uid":"imp_1","status":"paid","amount":19900,"paid_at":1714608000},'
    '"webhook_url":"https://shop.example.com/hooks","created_at":"2024-05-01T03:04:05.678Z",'
    '"paid_at":"2024-05-02T00:00:00.000Z","cancelled_at":"2024-05-02T00:00:01.900Z"}}'
)


def test_decodes_a_body_encrypted_exactly_as_spec_4_8_describes() -> None:
    body = aes_encrypt(SPEC_BODY_JSON, KEY, IV)

    webhook = decode_webhook(body, KEY, IV)

    assert webhook.id == WEBHOOK_ID
    assert webhook.source == PaymentSource(**SOURCE)
    assert webhook.previous.id == webhook.current.id == HISTORY_ID
    assert webhook.previous.paid_at is None
    assert webhook.current.paid_at == datetime(2024, 5, 2, tzinfo=UTC)
    assert webhook.previous.refund is None
    assert webhook.current.refund == Decimal("3980.5")
    [cancel] = webhook.current.cancels
    assert cancel.price == Decimal(3980)
    assert cancel.reason == "환불"
    assert cancel.time == datetime(2024, 5, 2, 0, 0, 1, 500000, tzinfo=UTC)
    assert webhook.current.iamport is not None
    assert webhook.current.iamport["status"] == "paid"
    assert webhook.raw["current"]["data"]["paid_at"] == 1714608000


def test_round_trip_through_the_servers_cipher() -> None:
    payload = webhook_payload()
    body = Cipher(KEY, IV).encrypt_json(payload)

    webhook = decode_webhook(body, KEY, IV)

    assert isinstance(webhook, PaymentWebhook)
    assert webhook.raw == payload
    assert webhook.previous.toss is not None
    assert webhook.previous.toss["status"] == "WAITING_FOR_DEPOSIT"
    assert webhook.current.toss is not None
    assert webhook.current.toss["status"] == "DONE"


def test_accepts_the_body_as_bytes() -> None:
    body = aes_encrypt(SPEC_BODY_JSON).encode("ascii")
    assert decode_webhook(body, KEY, IV).id == WEBHOOK_ID


def test_previous_and_current_without_source_take_the_webhooks_source() -> None:
    # The declared IPaymentWebhookHistory.IHistory omits `source`.
    payload = webhook_payload()
    del payload["previous"]["source"], payload["current"]["source"]

    webhook = decode_webhook(aes_encrypt(js_stringify(payload)), KEY, IV)

    assert webhook.previous.source == webhook.current.source == PaymentSource(**SOURCE)


def test_a_wrong_key_is_a_clear_decode_error() -> None:
    body = aes_encrypt(SPEC_BODY_JSON, KEY, IV)

    with pytest.raises(WebhookDecodeError, match="does not decrypt with this key/IV"):
        decode_webhook(body, "0123456789abcdef0123456789abcdef", IV)


def test_a_wrong_iv_is_a_decode_error_too() -> None:
    body = aes_encrypt(SPEC_BODY_JSON, KEY, IV)

    # CBC with a wrong IV garbles only the first block: the JSON then fails to parse.
    with pytest.raises(WebhookDecodeError):
        decode_webhook(body, KEY, "0123456789abcdef")


@pytest.mark.parametrize("body", ["", "not base64!", '{"id":"plain json"}'])
def test_a_body_that_is_not_ciphertext_is_a_decode_error(body: str) -> None:
    with pytest.raises(WebhookDecodeError):
        decode_webhook(body, KEY, IV)


def test_ciphertext_of_something_else_is_a_decode_error() -> None:
    body = aes_encrypt('{"password":"some-password"}')

    with pytest.raises(WebhookDecodeError, match="not a payment webhook: missing 'source'"):
        decode_webhook(body, KEY, IV)


def test_decode_errors_are_value_errors() -> None:
    with pytest.raises(ValueError):
        decode_webhook("", KEY, IV)
