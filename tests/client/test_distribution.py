"""One implementation: the server's old SDK name, its wire cipher and JSON, and its webhook
signatures are the SDK distribution's own objects, not copies."""

from __future__ import annotations

import payment_service_client
import pytest
from payment_service_client import cipher, encoding, webhooks

import payment_service.client
from payment_service import crypto, wire
from payment_service.delivery import payload


def test_the_old_name_re_exports_every_public_name_of_the_sdk() -> None:
    assert payment_service.client.__all__ == payment_service_client.__all__
    for name in payment_service_client.__all__:
        assert getattr(payment_service.client, name) is getattr(payment_service_client, name)


def test_the_old_name_is_no_package_that_could_load_a_second_copy() -> None:
    with pytest.raises(ImportError):
        __import__("payment_service.client.webhooks")
    with pytest.raises(AttributeError):
        _ = payment_service.client.__path__


def test_the_server_encrypts_parses_and_signs_with_the_sdks_code() -> None:
    assert crypto.Cipher is cipher.Cipher
    assert crypto.DecryptionError is cipher.DecryptionError
    assert crypto.loads is encoding.loads
    assert wire.dumps is encoding.dumps is crypto.dumps
    assert payload.sign_webhook is webhooks.sign_webhook
