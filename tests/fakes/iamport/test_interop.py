"""The published SDK `iamport-server-api@10`, run by node, against the in-process fake.

The SDK is installed once into `.interop/iamport/` at the repository root (gitignored) and
reused. Without node and npm the test is skipped; everywhere else (CI has node) it must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from fake_servers.iamport import FakeIamport

SDK = "iamport-server-api"
SDK_MAJOR = "10"
CACHE = Path(__file__).resolve().parents[3] / ".interop" / "iamport"
SCRIPT = Path(__file__).resolve().parent / "interop" / "scenario.js"


def installed_sdk(npm: str) -> Path:
    """The node_modules folder holding the SDK, installing it on first use."""
    manifest = CACHE / "node_modules" / SDK / "package.json"
    if manifest.exists() and json.loads(manifest.read_text())["version"].startswith(
        f"{SDK_MAJOR}."
    ):
        return CACHE / "node_modules"
    CACHE.mkdir(parents=True, exist_ok=True)
    package = CACHE / "package.json"
    if not package.exists():
        package.write_text(json.dumps({"name": "iamport-interop", "private": True}))
    subprocess.run(
        [npm, "install", "--no-audit", "--no-fund", f"{SDK}@{SDK_MAJOR}"],
        cwd=CACHE,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return CACHE / "node_modules"


def run_scenario(fake: FakeIamport) -> dict[str, Any]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are needed to run the iamport-server-api SDK")
    modules = installed_sdk(npm)
    done = subprocess.run(
        [node, str(SCRIPT), fake.url],
        env={**os.environ, "NODE_PATH": str(modules)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_sdk_drives_every_route(fake: FakeIamport) -> None:
    out = run_scenario(fake)

    assert out["token"] == {
        "expired_in_the_past": True,
        "lifetime": -180_000,
        "wrong_keys": {
            "status": 403,
            "body": {
                "message": "Wrong authorization key values.",
                "error": "Forbidden",
                "statusCode": 403,
            },
        },
    }

    card = out["card"]
    assert card["envelope"] == {"code": 0, "message": "success"}
    paid = {"pay_method": "card", "status": "paid", "amount": 25_000, "paid": True}
    assert card["created"] == {**paid, "cancel_amount": 0, "cancels": []}
    assert card["reloaded"] == card["created"]
    assert card["partial"] == {**paid, "cancel_amount": 5_000, "cancels": [5_000]}
    assert card["full"] == {
        **paid,
        "status": "cancelled",
        "cancel_amount": 25_000,
        "cancels": [5_000, 20_000],
    }
    assert card["over"]["status"] == 422
    assert card["over"]["body"]["message"] == "이미 전액취소된 주문입니다."

    vbank = out["vbank"]
    waiting = {"pay_method": "vbank", "status": "ready", "paid": False, "cancel_amount": 0}
    assert vbank["created"] == {**waiting, "amount": 40_000, "cancels": []}
    assert vbank["edited"] == {**waiting, "amount": 30_000, "cancels": []}
    assert vbank["deposit_result"] == "undefined"
    assert vbank["paid"] == {
        **waiting,
        "status": "paid",
        "paid": True,
        "amount": 30_000,
        "cancels": [],
    }
    assert vbank["refunded"] == {
        "pay_method": "vbank",
        "status": "cancelled",
        "amount": 30_000,
        "cancel_amount": 30_000,
        "paid": True,
        "cancels": [30_000],
    }

    subscription = out["subscription"]
    assert subscription["same_when_read"] is True
    assert subscription["erased"] == subscription["customer_uid"]
    assert subscription["again"] == {
        "pay_method": "card",
        "status": "paid",
        "amount": 10_000,
        "cancel_amount": 0,
        "paid": True,
        "cancels": [],
    }
    assert subscription["again_card_number"] == "1111-2222-3333-4444"
    assert subscription["missing"]["status"] == 404

    assert out["receipt"] == {
        "amount": 10_000,
        "vat": 1_000,
        "same_when_read": True,
        "cancelled": True,
    }
    assert out["certification"] == {
        "pending": False,
        "confirmed": True,
        "phone": "01011112222",
        "gone": 404,
    }
    assert out["sink"] == "undefined"

    statuses = {
        name: [hook["status"] for hook in fake.webhooks_for(out[name]["imp_uid"])]
        for name in ("card", "vbank")
    }
    assert statuses == {
        "card": ["paid", "paid", "cancelled"],
        "vbank": ["ready", "ready", "paid", "cancelled"],
    }
