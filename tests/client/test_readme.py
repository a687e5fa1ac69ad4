"""The integrator guide's examples run, in order, against the real server (`PaymentBackend`).

Every ```python block of client/README.md (the SDK distribution's description) is executed in
one namespace (as a reader would paste them one after another). The only changes are the server
address and the gateway ids the guide makes up, which become payments the fake gateways really
hold (paid for the guide's orders and amounts). The webhook receiver the guide defines is then
exercised with signed, encrypted deliveries.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from payment_service.client import PaymentClient, sign_webhook
from payment_service.testing import PaymentBackend
from tests.support.clients import on_a_thread_of_its_own

from .samples import webhook_payload
from .wire import IV, KEY, aes_encrypt, js_stringify

README = Path(__file__).resolve().parents[2] / "client" / "README.md"
README_HOST = "http://127.0.0.1:37821"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", README.read_text("utf-8"), re.M | re.S)


# The ids the guide makes up, and the orders and amounts it uses them for.
ORDER = "9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d"
DEPOSIT_ORDER = "0b8e1f3a-7c55-4a43-9d1e-6f2a0c9b8d7e"
CUSTOMER = "5d6e7f80-1a2b-4c3d-8e9f-a0b1c2d3e4f5"


@pytest.fixture(scope="module")
def _guide(backend: PaymentBackend) -> Iterator[dict[str, Any]]:
    """The namespace after running every block of the guide, once for the module."""
    assert (backend.key, backend.iv) == (KEY, IV), "the guide uses the local default keys"
    customer = backend.customer
    made_up = {
        "imp_123456789012": customer.pay_iamport_card(20000, ORDER),
        "toss-payment-key": customer.issue_toss_virtual_account(19900, DEPOSIT_ORDER),
        "toss-billing-key": customer.register_toss_billing(CUSTOMER),
        README_HOST: backend.url,
    }
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PAYMENT_WEBHOOK_SIGNING_SECRET", SECRET)
        namespace: dict[str, Any] = {"__name__": "readme"}

        def run_every_block() -> None:
            for number, block in enumerate(python_blocks(), 1):
                assert README_HOST in block or number > 1, "the first block must build the client"
                for invented, real in made_up.items():
                    block = block.replace(invented, real)
                exec(compile(block, f"README block {number}", "exec"), namespace)

        # The guide's async blocks call asyncio.run, as a reader's script would.
        on_a_thread_of_its_own(run_every_block)
        yield namespace


@pytest.fixture
def guide(_guide: dict[str, Any]) -> dict[str, Any]:
    """The guide's namespace, with its receiver's memory emptied for each test."""
    _guide["processed"].clear()
    _guide["paid_orders"].clear()
    return _guide


def test_the_guide_has_examples_for_every_part() -> None:
    text = "\n".join(python_blocks())
    for call in [
        "PaymentClient(",
        "histories.create(",
        "histories.get(",
        "histories.at(",
        "histories.cancel(",
        "reservations.create(",
        "reservations.get(",
        "reservations.at(",
        "monitors.health(",
        "monitors.system(",
        "monitors.performance(",
        "except Forbidden",
        "AsyncPaymentClient(",
        "monitors.plugins(",
        "monitors.webhooks(",
        "WebhookVerifier(",
        "VendorView(",
    ]:
        assert call in text, call


def test_every_block_runs_against_the_real_server(
    guide: dict[str, Any], backend: PaymentBackend
) -> None:
    # What the guide did is on the server: read back with a client of our own.
    with PaymentClient(backend.url, KEY, IV) as client:
        password = "a-long-random-record-password"
        card = client.histories.get(source=guide["order"], password=password)
        deposit = client.histories.get(source=guide["deposit_order"], password=password)
        saved = client.reservations.get(
            source=guide["customer"], password="another-record-password"
        )
    assert card.id == guide["history"].id and card.vendor_code == "iamport"
    assert (card.price, card.refund) == (Decimal(20000), Decimal(4000))
    assert (deposit.vendor_code, deposit.refund) == ("toss.payments", Decimal(19900))
    assert saved.id == guide["reservation"].id
    # ... and at the gateways: the refunds reached them.
    assert backend.iamport.payment(card.vendor.uid)["cancel_amount"] == 4000


def deliver(guide: dict[str, Any], body: str, headers: dict[str, str]) -> int:
    app = guide["app"]
    response = app.test_client().post(
        "/payment-webhooks",
        data=body,
        headers={"Content-Type": "text/plain", **headers},
    )
    return response.status_code


def test_the_guides_receiver_accepts_a_signed_delivery_once(guide: dict[str, Any]) -> None:
    payload = webhook_payload()
    body = aes_encrypt(js_stringify(payload))
    headers = sign_webhook(SECRET, payload["id"], int(time.time()), body)

    assert deliver(guide, body, headers) == 200
    assert deliver(guide, body, headers) == 200  # a repeated delivery

    assert guide["paid_orders"] == [payload["source"]["id"]]


def test_the_guides_receiver_refuses_a_tampered_delivery(guide: dict[str, Any]) -> None:
    payload = webhook_payload()
    body = aes_encrypt(js_stringify(payload))
    headers = sign_webhook(SECRET, payload["id"], int(time.time()), body)
    forged = aes_encrypt(js_stringify({**payload, "id": "another-event"}))

    assert deliver(guide, forged, headers) == 401
    assert deliver(guide, body, {}) == 401  # unsigned
    assert guide["paid_orders"] == []
