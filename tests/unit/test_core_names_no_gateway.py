"""The core names no payment gateway: the gateways are plugins, and so are their fakes. Only
the SDK's wire types (the original's types name the vendors they carry) may name them."""

from __future__ import annotations

import re
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "payment_service"
GATEWAYS = re.compile(r"iamport|toss|portone", re.IGNORECASE)
WIRE_TYPES = {
    "client/models.py",  # the original's IPaymentVendor code and IIamport*/IToss* records
    "client/__init__.py",  # re-exports of those types
    "client/histories.py",  # docstrings: what the original does per vendor at registration
    "client/reservations.py",
}


def test_only_the_sdk_wire_types_name_a_gateway():
    naming = {
        path.relative_to(CORE).as_posix()
        for path in CORE.rglob("*.py")
        if GATEWAYS.search(path.read_text(encoding="utf-8"))
    }
    assert naming <= WIRE_TYPES, sorted(naming - WIRE_TYPES)
    assert "client/models.py" in naming  # the pattern still finds what it looks for
