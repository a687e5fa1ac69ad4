"""The published client SDK `toss-payments-server-api@10`, unchanged, against the fake.

Needs `node` and `npm`; the SDK is installed once into `.interop/toss/` at the repository root
and reused. Without node or npm the test is skipped; any other problem fails it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

from .support import nest_error, not_found

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".interop" / "toss"
SDK = "toss-payments-server-api"
SCRIPT = Path(__file__).resolve().parent / "interop" / "scenario.js"


def installed_sdk_major() -> str | None:
    manifest = CACHE / "node_modules" / SDK / "package.json"
    if not manifest.exists():
        return None
    return json.loads(manifest.read_text())["version"].split(".")[0]


@pytest.fixture(scope="module")
def node() -> tuple[str, Path]:
    """The node executable, and the node_modules folder holding the SDK."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the Toss SDK interop test")
    if installed_sdk_major() != "10":
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--prefix", str(CACHE), f"{SDK}@10"],
            check=True,
            capture_output=True,
            timeout=600,
        )
        assert installed_sdk_major() == "10"
    return node, CACHE / "node_modules"


def test_sdk_drives_the_fake(node: tuple[str, Path], fake: FakeToss) -> None:
    executable, node_modules = node
    result = subprocess.run(
        [executable, str(SCRIPT), fake.url, DEFAULT_SECRET_KEY],
        env={**os.environ, "NODE_PATH": str(node_modules)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout)

    assert seen["keyIn"] == {"status": "IN_PROGRESS", "approvedAt": None}
    assert seen["wrongPrice"] == {"status": 422, "body": nest_error(422, "Wrong price.")}
    assert seen["approved"] == {"status": "DONE", "hasApprovedAt": True}
    assert seen["readBack"] == {"same": True}
    assert seen["partialCancel"] == {
        "status": "PARTIAL_CANCELED",
        "balanceAmount": 20000,
        "cancels": 1,
    }
    assert seen["fullCancel"] == {
        "status": "CANCELED",
        "balanceAmount": 0,
        "cancelAmounts": [10000, 20000],
    }
    assert seen["unknown"] == {"status": 404, "body": not_found("no-such-payment")}
    assert seen["virtualAccount"] == {
        "status": "WAITING_FOR_DEPOSIT",
        "settlementStatus": "INCOMPLETED",
    }
    assert seen["deposit"] == {"status": "DONE", "settlementStatus": "COMPLETED"}
    assert seen["cashReceipt"] == {
        "type": "소득공제",
        "issueNumberMatches": True,
        "canceled": True,
        "clearedOnPayment": True,
    }
    assert seen["billingLookup"] == {"same": True}
    assert seen["billingOtherCustomer"] == {
        "status": 403,
        "body": nest_error(403, "Different customer."),
    }
    assert seen["billingPay"] == {
        "status": "DONE",
        "totalAmount": 9900,
        "cardNumber": "4444333322221111",
    }
    assert seen["webhookReceiver"] == {"undefinedResult": True}
    assert seen["badCredentials"] == {
        "status": 403,
        "body": nest_error(403, "Wrong authorization token."),
    }
