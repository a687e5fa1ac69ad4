"""The core names no payment gateway: the gateways are plugins, and so are their fakes. Only
the SDK (its own distribution, client/: the original's types name the vendors they carry) may
name them."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "payment_service"
GATEWAYS = re.compile(r"iamport|toss|portone", re.IGNORECASE)


def test_the_core_names_no_gateway():
    naming = {
        path.relative_to(CORE).as_posix()
        for path in CORE.rglob("*.py")
        if GATEWAYS.search(path.read_text(encoding="utf-8"))
    }
    assert naming == set()
    # The pattern still finds what it looks for.
    models = ROOT / "client" / "payment_service_client" / "models.py"
    assert GATEWAYS.search(models.read_text(encoding="utf-8"))
