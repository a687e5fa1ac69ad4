"""The two fake gateways, started together and wired to a payment server.

The one place that knows how the published vendor plugins are pointed at the fakes: used by
`payment-service fakes`, `serve --with-fakes` and the embeddable backend.
"""

from __future__ import annotations

from typing import Any

from fake_servers.common.server import Lifecycle
from fake_servers.iamport import FakeIamport
from fake_servers.iamport.fake import DEFAULT_CREDENTIALS as IAMPORT_CREDENTIALS
from fake_servers.iamport.fake import DEFAULT_PORT as IAMPORT_PORT
from fake_servers.toss import DEFAULT_PORT as TOSS_PORT
from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

IAMPORT_CODE = "iamport"
TOSS_CODE = "toss.payments"


def webhook_urls(api_url: str) -> dict[str, str]:
    """Where each fake posts its webhooks on a payment server at `api_url`."""
    base = api_url.rstrip("/")
    return {
        IAMPORT_CODE: f"{base}/payments/webhooks/iamport",
        TOSS_CODE: f"{base}/payments/webhooks/toss",
    }


def vendor_options(iamport_url: str, toss_url: str) -> dict[str, Any]:
    """`PAYMENT_VENDORS` that points the plugins at fakes, with the fakes' test credentials."""
    imp_key, imp_secret = next(iter(IAMPORT_CREDENTIALS.items()))
    return {
        IAMPORT_CODE: {
            "base_url": iamport_url,
            "default": {"imp_key": imp_key, "imp_secret": imp_secret},
        },
        TOSS_CODE: {"base_url": toss_url, "default": {"secret_key": DEFAULT_SECRET_KEY}},
    }


class GatewayFakes(Lifecycle):
    """Fake iamport and fake Toss, started and stopped together.

    Ports default to the fixed ones of the original (10851, 30771); pass 0 for free ports.
    With `api_url`, their webhooks go to that payment server; otherwise to their own receivers.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        iamport_port: int = IAMPORT_PORT,
        toss_port: int = TOSS_PORT,
        api_url: str | None = None,
    ):
        self.iamport = FakeIamport(host=host, port=iamport_port)
        self.toss = FakeToss(host=host, port=toss_port)
        if api_url is not None:
            self.point_webhooks_at(api_url)

    def point_webhooks_at(self, api_url: str) -> None:
        urls = webhook_urls(api_url)
        self.iamport.webhook_url = urls[IAMPORT_CODE]
        self.toss.webhook_url = urls[TOSS_CODE]

    def vendor_options(self) -> dict[str, Any]:
        return vendor_options(self.iamport.url, self.toss.url)

    def start(self) -> GatewayFakes:
        self.iamport.start()
        try:
            self.toss.start()
        except BaseException:
            self.iamport.stop()
            raise
        return self

    def stop(self) -> None:
        self.toss.stop()
        self.iamport.stop()
