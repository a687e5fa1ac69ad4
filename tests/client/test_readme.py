"""The integrator guide's examples run, in order, against a stub payment server.

Every ```python block of payment_service/client/README.md is executed in one namespace (as
a reader would paste them one after another); the only change is the server address, which
points at the stub. The webhook receiver the guide defines is then exercised with signed,
encrypted deliveries.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest

import payment_service.client
from payment_service.client import sign_webhook

from .fake_payment_server import FakePaymentServer
from .samples import webhook_payload
from .stub import StubServer
from .wire import aes_encrypt, js_stringify

README = Path(payment_service.client.__file__).with_name("README.md")
README_HOST = "http://127.0.0.1:37821"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def python_blocks() -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", README.read_text("utf-8"), re.M | re.S)


@pytest.fixture
def guide(stub: StubServer, stub_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The namespace after running every block of the guide."""
    FakePaymentServer(stub)
    monkeypatch.setenv("PAYMENT_WEBHOOK_SIGNING_SECRET", SECRET)
    namespace: dict[str, Any] = {"__name__": "readme"}
    for number, block in enumerate(python_blocks(), 1):
        assert README_HOST in block or number > 1, "the first block must build the client"
        code = compile(block.replace(README_HOST, stub_url), f"README block {number}", "exec")
        exec(code, namespace)
    return namespace


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
        "decode_webhook(",
        "verify_webhook_signature(",
    ]:
        assert call in text, call


def test_every_block_runs_against_the_stub(guide: dict[str, Any], stub: StubServer) -> None:
    routes = {(request.method, request.path.rsplit("/", 1)[0]) for request in stub.requests}
    assert ("PUT", "/payments/histories") in routes
    assert ("POST", "/payments") in routes
    assert ("GET", "/monitors") in routes


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

    assert deliver(guide, forged, headers) == 400
    assert deliver(guide, body, {}) == 400  # unsigned
    assert guide["paid_orders"] == []
