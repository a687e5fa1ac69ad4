"""The npm SDK `@portone/server-sdk` (pinned below), unchanged, against the fake PortOne V2:
its calls, its error classes chosen by `type`, and its webhook verifier.

Needs `node` and `npm`; the SDK is installed once into `.interop/portone/` at the repository
root and reused. Without node or npm the test is skipped; any other problem fails it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from fake_servers.portone import DEFAULT_WEBHOOK_SECRET, FakePortOne

from .test_interop import SignedSink, lower

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".interop" / "portone"
SDK = "@portone/server-sdk"
VERSION = "0.19.0"
SCRIPT = Path(__file__).resolve().parent / "interop" / "scenario.js"


def installed_version() -> str | None:
    manifest = CACHE / "node_modules" / "@portone" / "server-sdk" / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["version"]


@pytest.fixture(scope="module")
def node() -> tuple[str, Path]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the PortOne npm SDK interop test")
    if installed_version() != VERSION:
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), f"{SDK}@{VERSION}"],
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert installed_version() == VERSION
    return node, CACHE / "node_modules"


def test_npm_sdk_drives_the_fake(node, fake: FakePortOne, tmp_path):
    executable, node_modules = node
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
    result = subprocess.run(
        [executable, str(SCRIPT), str(path)],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
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
