"""`DemoShop`: the shop's configuration, and its mounting on the payment server.

`serve --with-fakes` (local mode only) makes one before gunicorn forks its workers; each worker
mounts it on its app (`install`), so every worker answers `/demo` and shares `directory`.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from flask import Flask
from payment_service_client import PaymentClient

from fake_servers.iamport import DEFAULT_MERCHANT_CODE
from fake_servers.iamport.checkout import SCRIPT_PATH as IAMPORT_SCRIPT
from fake_servers.portone import DEFAULT_CHANNEL_KEY, DEFAULT_STORE_ID
from fake_servers.portone.checkout import SCRIPT_PATH as PORTONE_SCRIPT
from fake_servers.toss import DEFAULT_CLIENT_KEY
from fake_servers.toss.checkout import SCRIPT_PATHS as TOSS_SCRIPTS

from .inbox import Inbox
from .routes import blueprint


@dataclass(frozen=True)
class Gateway:
    """A gateway the shop takes payments with."""

    code: str
    """payment-service's vendor code."""
    label: str
    fake: str
    """The fake standing in for it (`serve --with-fakes --<fake>-port`)."""
    script: str
    """The path of its browser SDK (on the gateway's CDN; the fake serves a stand-in there)."""
    keys: dict[str, str] = field(default_factory=dict)
    """What the page gives the SDK: the merchant's public keys (here, the fakes' test ones)."""


GATEWAYS = {
    "iamport": Gateway(
        "iamport", "iamport", "iamport", IAMPORT_SCRIPT, {"merchantCode": DEFAULT_MERCHANT_CODE}
    ),
    "toss": Gateway(
        "toss.payments", "Toss Payments", "toss", TOSS_SCRIPTS[0], {"clientKey": DEFAULT_CLIENT_KEY}
    ),
    "portone": Gateway(
        "portone",
        "PortOne",
        "portone",
        PORTONE_SCRIPT,
        {"storeId": DEFAULT_STORE_ID, "channelKey": DEFAULT_CHANNEL_KEY},
    ),
}


@dataclass(frozen=True)
class Offered:
    """A gateway as the page uses it: where its script is, and its keys."""

    code: str
    label: str
    script_url: str
    keys: dict[str, str]


class DemoShop:
    """The shop of the payment server at `api_url` (its connection `key` and `iv`), with the
    fakes at `fakes` (URL by fake name). Orders and webhooks go to `directory`, by default a
    temporary one that `close()` removes."""

    def __init__(
        self,
        api_url: str,
        key: str,
        iv: str,
        fakes: Mapping[str, str],
        directory: Path | None = None,
    ):
        self.api_url = api_url.rstrip("/")
        self.key = key
        self.iv = iv
        self.fakes = dict(fakes)
        self._owned = directory is None
        self.directory = directory or Path(tempfile.mkdtemp(prefix="payment-service-demo-"))
        self.inbox = Inbox(self.directory)
        self.page = files(__package__ or "demo_shop").joinpath("page.html").read_text("utf-8")

    def vendors(self) -> dict[str, Offered]:
        """The gateways whose fake runs, by the name the page uses."""
        return {
            name: Offered(
                gateway.code, gateway.label, self.fakes[gateway.fake] + gateway.script, gateway.keys
            )
            for name, gateway in GATEWAYS.items()
            if gateway.fake in self.fakes
        }

    def bank_url(self, vendor: str, uid: str) -> str:
        """The fake's page where the customer pays into the virtual account of payment `uid`."""
        return f"{self.fakes[GATEWAYS[vendor].fake]}/checkout/bank/{uid}"

    def client(self) -> PaymentClient:
        """The SDK, for one request (`with shop.client() as client:`): its connections close
        with it, so none stays open to a server that wants to stop."""
        return PaymentClient(self.api_url, self.key, self.iv)

    def install(self, app: Flask) -> Any:
        """Mount the shop at `/demo` on `app`."""
        app.register_blueprint(blueprint(self))
        return app

    def close(self) -> None:
        if self._owned:
            shutil.rmtree(self.directory, ignore_errors=True)
