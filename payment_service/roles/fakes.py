"""The fakes role: the fake gateways the installed vendor plugins contribute, started together
and wired to a payment server. `payment-service fakes` runs them (and `serve --with-fakes` runs
that command beside the API); the embeddable test backend starts `GatewayFakes` in its own
process. Which fakes exist, their ports and credentials, are the plugins' business
(`payment_service.vendors.fakes`); this module names none.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any, Self

import click

from ..vendors.fakes import FakeGateway, FakeServer, contributed_fakes
from .signals import stop_event

Ports = int | Mapping[str, int] | None
"""Ports by fake name; one int for every fake (0: free ports); None: each fake's default."""


def port_of(kind: type[FakeGateway], ports: Ports) -> int:
    if ports is None:
        return kind.default_port
    if isinstance(ports, int):
        return ports
    return ports.get(kind.name, kind.default_port)


def vendor_options(urls: Mapping[str, str], plugins: Iterable[Any] = ()) -> dict[str, Any]:
    """`PAYMENT_VENDORS` that points the plugins at their fakes, by fake name → URL (fakes
    without a URL are left out), with the fakes' test credentials."""
    return {
        kind.vendor.code: kind.vendor_options(urls[kind.name])
        for kind in contributed_fakes(plugins)
        if kind.name in urls
    }


class GatewayFakes:
    """Every contributed fake, started and stopped together: `fakes.<name>` is the server of
    the fake of that name, `gateways` the plugins' `FakeGateway` objects by name.

    Ports default to each fake's fixed one; `ports=0` gives free ports. With `api_url`,
    webhooks go to that payment server; otherwise to the fakes' own receivers. `plugins` adds
    the fakes of plugins that are not installed; `clock` (a `fake_servers` `FakeClock`) is the
    time every fake that takes one runs on.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        ports: Ports = None,
        api_url: str | None = None,
        *,
        plugins: Iterable[Any] = (),
        clock: Any = None,
    ):
        self.gateways: dict[str, FakeGateway] = {
            kind.name: kind(host, port_of(kind, ports), clock)
            for kind in contributed_fakes(plugins)
        }
        if api_url is not None:
            self.point_webhooks_at(api_url)

    def __getattr__(self, name: str) -> FakeServer:
        gateway = self.__dict__.get("gateways", {}).get(name)
        if gateway is None:
            raise AttributeError(f"no fake gateway named {name!r} is installed")
        return gateway.server

    def by_code(self, vendor_code: str) -> FakeGateway:
        """The fake standing in for the vendor `vendor_code`."""
        for gateway in self.gateways.values():
            if gateway.vendor.code == vendor_code:
                return gateway
        raise LookupError(f"no installed plugin contributes a fake for vendor {vendor_code!r}")

    def point_webhooks_at(self, api_url: str) -> None:
        for gateway in self.gateways.values():
            gateway.webhook_url = api_url.rstrip("/") + gateway.webhook_path()

    def vendor_options(self) -> dict[str, Any]:
        return {g.vendor.code: g.vendor_options(g.url) for g in self.gateways.values()}

    def start(self) -> GatewayFakes:
        started: list[FakeGateway] = []
        try:
            for gateway in self.gateways.values():
                started.append(gateway.start())
        except BaseException:
            for gateway in reversed(started):
                gateway.stop()
            raise
        return self

    def stop(self) -> None:
        for gateway in reversed(self.gateways.values()):
            gateway.stop()

    # Not `fake_servers`' Lifecycle: a plain `serve` imports this module, and no fake.
    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def run_fakes(host: str, ports: Mapping[str, int], webhook_base: str | None) -> None:
    """Serve the contributed fakes (on `ports` by name) until SIGINT or SIGTERM."""
    stopped: threading.Event = stop_event()
    with GatewayFakes(host, ports, api_url=webhook_base) as fakes:
        for gateway in fakes.gateways.values():
            click.echo(f"{gateway.title} listening on {gateway.url}")
        target = webhook_base or "their own /internal/webhook receivers"
        click.echo(f"webhooks go to {target}")
        stopped.wait()
