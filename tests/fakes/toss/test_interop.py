"""The published client SDK `toss-payments-server-api@10`, unchanged, against the fake.

Needs `node` and `npm`; the SDK is installed once into `.interop/toss/` at the repository root
and reused. Without node or npm the test is skipped; any other problem fails it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

from ..node import INTEROP, run_node, sdk_for_node
from .support import nest_error, not_found

CACHE = INTEROP / "toss"
SDK = "toss-payments-server-api"
SCRIPT = Path(__file__).resolve().parent / "interop" / "scenario.js"


@pytest.fixture(scope="module")
def node() -> tuple[str, Path]:
    """The node executable, and the node_modules folder holding the SDK."""
    return sdk_for_node(CACHE, SDK, "10", "the Toss SDK interop test")


def test_sdk_drives_the_fake(node: tuple[str, Path], fake: FakeToss) -> None:
    seen = run_node(node, SCRIPT, fake.url, DEFAULT_SECRET_KEY)

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
