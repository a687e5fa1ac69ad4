"""The npm SDK `@portone/server-sdk` (pinned below), unchanged, against the fake PortOne V2:
its calls, its error classes chosen by `type`, and its webhook verifier.

Needs `node` and `npm`; the SDK is installed once into `.interop/portone/` at the repository
root and reused. Without node or npm the test is skipped; any other problem fails it.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from fake_servers.portone import DEFAULT_WEBHOOK_SECRET, FakePortOne

from ..node import INTEROP, run_node, sdk_for_node
from .test_interop import SignedSink, lower

CACHE = INTEROP / "portone"
SDK = "@portone/server-sdk"
VERSION = "0.19.0"
SCRIPT = Path(__file__).resolve().parent / "interop" / "scenario.js"


@pytest.fixture(scope="module")
def node() -> tuple[str, Path]:
    return sdk_for_node(CACHE, SDK, VERSION, "the PortOne npm SDK interop test")


def test_npm_sdk_drives_the_fake(node, fake: FakePortOne, tmp_path):
    sink = SignedSink()
    with sink.server:
        fake.webhook_url = f"{sink.server.url}/hook"
        paid, account = f"payment-{uuid.uuid4()}", f"payment-{uuid.uuid4()}"
        fake.pay_by_card(paid, 10000)
        fake.issue_virtual_account(account, 5000)
        fake.deposit(account)
        webhooks = [{"body": body, "headers": lower(headers)} for body, headers in sink.wait(3)]
    fake.webhook_url = None
    scenario = {
        "baseUrl": fake.url,
        "secret": fake.api_secret,
        "storeId": fake.store_id,
        "paid": paid,
        "billingPayment": f"payment-{uuid.uuid4()}",
        "webhookSecret": DEFAULT_WEBHOOK_SECRET,
        "webhooks": webhooks,
    }
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps(scenario), encoding="utf-8")
    out = run_node(node, SCRIPT, str(path))
    assert out["paid"] == {"status": "PAID", "total": 10000, "method": "PaymentMethodCard"}
    assert out["notFound"] == {
        "name": "GetPaymentError",
        "type": "PAYMENT_NOT_FOUND",
    }
    assert out["unauthorized"]["type"] == "UNAUTHORIZED"
    assert out["partCancel"] == {"status": "SUCCEEDED", "total": 4000}
    assert out["tooMuch"]["type"] == "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT"
    assert out["afterPart"] == "PARTIAL_CANCELLED"
    assert out["listed"] == {"ids": [paid], "totalCount": 1}
    assert out["billingKey"] == {"status": "ISSUED", "customer": "npm-customer"}
    assert out["charged"] is True
    assert out["alreadyPaid"]["type"] == "ALREADY_PAID"
    assert out["verified"] == [
        "Transaction.Paid",
        "Transaction.VirtualAccountIssued",
        "Transaction.Paid",
    ]
    assert out["tampered"]["name"] == "WebhookVerificationError"
