"""What a vendor plugin contributes so that its gateway's fake runs beside the server.

A plugin implements the hook `register_fakes` and returns `FakeGateway` subclasses. The test kit
(`payment_service.testing.GatewayFakes`), `payment-service fakes` and `serve --with-fakes` start
whatever the installed plugins contribute, so the core never names a gateway: the plugin knows
its fake's port, its test credentials (the `PAYMENT_VENDORS` entry pointing at the fake) and
what a customer does in its checkout popup.

Plugins publish the module with the hook under the entry-point group `payment_service.fakes`,
apart from `payment_service.vendors`, so that a production server never imports a fake.
"""

from __future__ import annotations

import inspect
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any, ClassVar, Protocol

from .interface import Vendor
from .plugins import build_manager

FAKES_ENTRY_POINT_GROUP = "payment_service.fakes"
NAME = re.compile(r"[a-z][a-z0-9_]*")


class FakeServer(Protocol):
    """A fake gateway's server, as the fakes of `fake_servers` are: started, stopped, reached
    at `url`, posting its webhooks to `webhook_url` (which may be changed at any time)."""

    @property
    def url(self) -> str: ...

    @property
    def webhook_url(self) -> str | None: ...

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None: ...

    def start(self) -> Any: ...

    def stop(self) -> None: ...


class FakeGateway(ABC):
    """One plugin's fake gateway: its server, how the plugin is pointed at it, and the
    customer's side of the checkout popup.

    A subclass sets the class attributes and implements `credentials` and the customer actions
    its gateway has (the others raise `NotImplementedError`).
    """

    name: ClassVar[str]
    """Short identifier: `payment-service fakes --<name>-port`, `GatewayFakes.<name>`."""
    title: ClassVar[str]
    """For messages, e.g. "fake Example Pay"."""
    vendor: ClassVar[type[Vendor]]
    """The vendor this fake stands in for: its code keys `PAYMENT_VENDORS`, and the fake posts
    its webhooks to `/payments/webhooks/<its webhook_name>`."""
    default_port: ClassVar[int]
    server_class: ClassVar[Callable[..., FakeServer]]
    """Makes the fake (not started) from `host` and `port` (0: a free one) keywords, and a
    `clock` keyword when it takes one (the test kit's shared clock, which tests advance)."""
    customer_actions: ClassVar[Mapping[str, str]] = {}
    """More names under which `Customer` offers this fake's actions, for callers written
    against one gateway: e.g. {"pay_example_card": "pay_by_card"}."""
    checkout_scripts: ClassVar[Mapping[str, str]] = {}
    """The gateway's browser SDK as merchant pages load it (its CDN URL) → the path where the
    fake serves its stand-in: e.g. {"https://js.example.com/v1/pay.js": "/v1/pay.js"}."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None, clock: Any = None):
        port = self.default_port if port is None else port
        options: dict[str, Any] = {"host": host, "port": port}
        # A third party's fake may keep its own time: it gets the clock only if it takes one.
        if clock is not None and "clock" in inspect.signature(self.server_class).parameters:
            options["clock"] = clock
        self.server: FakeServer = self.server_class(**options)

    @classmethod
    @abstractmethod
    def credentials(cls) -> dict[str, Any]:
        """The store options (`default`) that authenticate at the fake."""

    @classmethod
    def vendor_options(cls, url: str) -> dict[str, Any]:
        """The plugin's `PAYMENT_VENDORS` entry for the fake at `url`."""
        return {"base_url": url, "default": cls.credentials()}

    @classmethod
    def webhook_path(cls) -> str:
        return f"/payments/webhooks/{cls.vendor.webhook_name}"

    @staticmethod
    def number(amount: int | Decimal) -> int | float:
        """An amount as a JSON number for the fakes: an int stays one."""
        return float(amount) if isinstance(amount, Decimal) else amount

    # -- the server --------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return self.server.url

    def checkout_script_urls(self) -> dict[str, str]:
        """Each real browser SDK URL → the stand-in this (started) fake serves for it."""
        return {real: self.url + path for real, path in self.checkout_scripts.items()}

    @property
    def webhook_url(self) -> str | None:
        return self.server.webhook_url

    @webhook_url.setter
    def webhook_url(self, value: str | None) -> None:
        self.server.webhook_url = value

    def start(self) -> FakeGateway:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    # -- the customer's side of the checkout popup: each returns the `vendor.uid` ------------

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        """Pay by card for order `order_id`, as far as the popup goes before the server."""
        raise NotImplementedError(f"{self.title} has no card payment")

    def issue_virtual_account(self, amount: int | Decimal, order_id: str) -> str:
        """Ask for a virtual account to pay into (waiting for `deposit`)."""
        raise NotImplementedError(f"{self.title} has no virtual account")

    def deposit(self, uid: str) -> None:
        """Transfer the money into the virtual account (the fake then sends a webhook): the
        server's own `deposit(uid)`, where it has one."""
        deposit: Callable[[str], Any] | None = getattr(self.server, "deposit", None)
        if deposit is None:
            raise NotImplementedError(f"{self.title} has no virtual account")
        deposit(uid)

    def register_card(self, customer_id: str) -> str:
        """Save a card for later charges (a reservation's `vendor.uid`)."""
        raise NotImplementedError(f"{self.title} saves no card")


def contributed_fakes(
    plugins: Iterable[Any] = (), *, load_entry_points: bool = True
) -> list[type[FakeGateway]]:
    """The fakes of the installed plugins (entry-point group `payment_service.fakes`) and of
    `plugins`, by name (unique lower-case identifiers), in the order of their names."""
    manager = build_manager(
        load_entry_points=load_entry_points, plugins=plugins, group=FAKES_ENTRY_POINT_GROUP
    )
    found: dict[str, type[FakeGateway]] = {}
    for kinds in manager.hook.register_fakes():
        for kind in kinds or ():
            if not NAME.fullmatch(kind.name):
                raise ValueError(f"fake name {kind.name!r} is not a lower-case identifier")
            if kind.name in found and found[kind.name] is not kind:
                raise ValueError(f"two plugins contribute a fake named {kind.name!r}")
            found[kind.name] = kind
    return [found[name] for name in sorted(found)]
