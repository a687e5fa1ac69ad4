"""What the examples share: where `make run` serves the API and the fake gateways, the
local-mode connection key, and the fakes' test credentials.

Each example runs against `make run` as it is (`.venv/bin/python examples/<name>.py`); its
options `--api URL` and `--<fake> URL` point it at servers elsewhere.
"""

from __future__ import annotations

import argparse
import uuid

# `local` mode's published connection key and IV (what `make run` uses); a real deployment
# has its own (`payment-service keys generate`).
KEY, IV = "MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7"
# Chosen by your service for each record; needed to read or refund it later.
PASSWORD = "a-secret-only-your-service-knows"
# The fakes' test credentials (the plugins use the same ones under `make run`).
TOSS_AUTH = ("test_ak_ZORzdMaqN3wQd5k6ygr5AkYXQGwy", "")
IAMPORT_CREDENTIALS = {"imp_key": "test_imp_key", "imp_secret": "test_imp_secret"}

DEFAULT_URLS = {
    "api": "http://127.0.0.1:37821",
    "iamport": "http://127.0.0.1:10851",
    "toss": "http://127.0.0.1:30771",
    "portone": "http://127.0.0.1:20851",
}


def urls(description: str, *fakes: str) -> argparse.Namespace:
    """The command line: the API's URL and each fake's (`make run`'s by default)."""
    parser = argparse.ArgumentParser(description=description)
    for name in ("api", *fakes):
        what = "the payment server" if name == "api" else f"the fake {name}"
        parser.add_argument(
            f"--{name}",
            default=DEFAULT_URLS[name],
            metavar="URL",
            help=f"where {what} answers (default: {DEFAULT_URLS[name]})",
        )
    return parser.parse_args()


def new_order() -> dict[str, str]:
    """The record of your service a payment belongs to: an order with a fresh UUID."""
    return {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
