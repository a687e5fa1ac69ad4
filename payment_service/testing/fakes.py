"""The fake gateways, started together and wired to a payment server.

The one place that knows how the published vendor plugins are pointed at the fakes: used by
`payment-service fakes`, `serve --with-fakes` and the embeddable backend.
"""

from __future__ import annotations

from typing import Any

from fake_servers.common.server import Lifecycle
from fake_servers.iamport import FakeIamport
from fake_servers.iamport.fake import DEFAULT_CREDENTIALS as IAMPORT_CREDENTIALS
from fake_servers.iamport.fake import DEFAULT_PORT as IAMPORT_PORT
from fake_servers.portone import DEFAULT_API_SECRET as PORTONE_API_SECRET
from fake_servers.portone import DEFAULT_PORT as PORTONE_PORT
from fake_servers.portone import DEFAULT_STORE_ID as PORTONE_STORE_ID
from fake_servers.portone import DEFAULT_WEBHOOK_SECRET as PORTONE_WEBHOOK_SECRET
from fake_servers.portone import FakePortOne
from fake_servers.toss import DEFAULT_PORT as TOSS_PORT
from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

IAMPORT_CODE = "iamport"
TOSS_CODE = "toss.payments"
PORTONE_CODE = "portone"


def webhook_urls(api_url: str) -> dict[str, str]:
    """Where each fake posts its webhooks on a payment server at `api_url`."""
    base = api_url.rstrip("/")
    return {
        IAMPORT_CODE: f"{base}/payments/webhooks/iamport",
        TOSS_CODE: f"{base}/payments/webhooks/toss",
        PORTONE_CODE: f"{base}/payments/webhooks/portone",
    }


def vendor_options(
    iamport_url: str, toss_url: str, portone_url: str | None = None
) -> dict[str, Any]:
    """`PAYMENT_VENDORS` that points the plugins at fakes, with the fakes' test credentials."""
    imp_key, imp_secret = next(iter(IAMPORT_CREDENTIALS.items()))
    options: dict[str, Any] = {
        IAMPORT_CODE: {
            "base_url": iamport_url,
            "default": {"imp_key": imp_key, "imp_secret": imp_secret},
        },
        TOSS_CODE: {"base_url": toss_url, "default": {"secret_key": DEFAULT_SECRET_KEY}},
    }
    if portone_url is not None:
        options[PORTONE_CODE] = {
            "base_url": portone_url,
            "default": {
                "api_secret": PORTONE_API_SECRET,
                "store_id": PORTONE_STORE_ID,
                "webhook_secret": PORTONE_WEBHOOK_SECRET,
            },
        }
    return options


class GatewayFakes(Lifecycle):
    """Fake iamport, fake Toss and fake PortOne V2, started and stopped together.

    Ports default to the fixed ones (10851, 30771, 20851); pass 0 for free ports.
    With `api_url`, their webhooks go to that payment server; otherwise to their own receivers.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        iamport_port: int = IAMPORT_PORT,
        toss_port: int = TOSS_PORT,
        api_url: str | None = None,
        portone_port: int = PORTONE_PORT,
    ):
        self.iamport = FakeIamport(host=host, port=iamport_port)
        self.toss = FakeToss(host=host, port=toss_port)
        self.portone = FakePortOne(host=host, port=portone_port)
        if api_url is not None:
            self.point_webhooks_at(api_url)

    def point_webhooks_at(self, api_url: str) -> None:
        urls = webhook_urls(api_url)
        self.iamport.webhook_url = urls[IAMPORT_CODE]
        self.toss.webhook_url = urls[TOSS_CODE]
        self.portone.webhook_url = urls[PORTONE_CODE]

    def vendor_options(self) -> dict[str, Any]:
        return vendor_options(self.iamport.url, self.toss.url, self.portone.url)

    def start(self) -> GatewayFakes:
        started: list[Lifecycle] = []
        try:
            for fake in (self.iamport, self.toss, self.portone):
                fake.start()
                started.append(fake)
        except BaseException:
            for fake in reversed(started):
                fake.stop()
            raise
        return self

    def stop(self) -> None:
        self.portone.stop()
        self.toss.stop()
        self.iamport.stop()
