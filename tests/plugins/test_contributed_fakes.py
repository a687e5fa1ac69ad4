"""Fakes come from the vendor plugins (the `register_fakes` hook): the test kit starts whatever
they contribute, points the plugins at them and dispatches the customer's actions to them."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar

import pytest
import requests
from flask import Flask

from fake_servers.common.server import ServerThread
from payment_service.testing import Customer, GatewayFakes
from payment_service.vendors import FakeGateway, hookimpl
from payment_service.vendors.fakes import contributed_fakes


class PaySimServer(ServerThread):
    """The smallest fake gateway: remembers card payments and serves them back."""

    def __init__(self, host: str, port: int):
        self.payments: dict[str, dict[str, Any]] = {}
        self.webhook_url: str | None = None
        app = Flask(__name__)
        app.add_url_rule("/payments/<uid>", "payment", lambda uid: self.payments[uid])
        super().__init__(app, host, port, quiet=True)


class PaySimVendor:
    """Only what a fake needs of its vendor (a real plugin names its `Vendor` class)."""

    code = "pay.sim"
    webhook_name = "paysim"


class PaySimFake(FakeGateway):
    name = "paysim"
    title = "fake PaySim"
    vendor = PaySimVendor
    default_port = 0
    server_class = PaySimServer
    server: PaySimServer
    customer_actions: ClassVar[Mapping[str, str]] = {"pay_paysim_card": "pay_by_card"}

    @classmethod
    def credentials(cls) -> dict[str, Any]:
        return {"api_key": "sim_test_key"}

    def pay_by_card(self, amount: int | Decimal, order_id: str) -> str:
        uid = f"sim_{uuid.uuid4().hex}"
        self.server.payments[uid] = {"order": order_id, "amount": int(amount)}
        return uid


class PaySimPlugin:
    @hookimpl
    def register_fakes(self) -> list[type[FakeGateway]]:
        return [PaySimFake]


def test_the_installed_plugins_contribute_their_fakes():
    kinds = {kind.name: kind for kind in contributed_fakes()}
    assert sorted(kinds) == ["iamport", "portone", "toss"]
    assert {kind.vendor.code for kind in kinds.values()} == {"iamport", "portone", "toss.payments"}
    assert kinds["toss"].default_port == 30771
    assert kinds["toss"].webhook_path() == "/payments/webhooks/toss"
    assert contributed_fakes(load_entry_points=False) == []


def test_a_plugin_contributed_fake_is_started_wired_and_used_by_the_customer():
    with GatewayFakes(ports=0, plugins=[PaySimPlugin()]) as fakes:
        assert sorted(fakes.gateways) == ["iamport", "paysim", "portone", "toss"]
        url = fakes.paysim.url
        assert fakes.vendor_options()["pay.sim"] == {
            "base_url": url,
            "default": {"api_key": "sim_test_key"},
        }
        fakes.point_webhooks_at("http://127.0.0.1:9/")
        assert fakes.paysim.webhook_url == "http://127.0.0.1:9/payments/webhooks/paysim"
        assert fakes.toss.webhook_url == "http://127.0.0.1:9/payments/webhooks/toss"

        customer = Customer(fakes)
        uid = customer.pay_by_card("pay.sim", 1500, "order-1")
        answer = requests.get(f"{url}/payments/{uid}", timeout=5)
        assert answer.json() == {"order": "order-1", "amount": 1500}
        named = customer.pay_paysim_card(2500, "order-2")
        assert fakes.paysim.payments[named] == {"order": "order-2", "amount": 2500}
        with pytest.raises(NotImplementedError, match="fake PaySim has no virtual account"):
            customer.issue_virtual_account("pay.sim", 1000, "order-3")
        with pytest.raises(LookupError, match="'nowhere'"):
            customer.pay_by_card("nowhere", 1000, "order-4")
        with pytest.raises(AttributeError, match="pay_nowhere_card"):
            customer.pay_nowhere_card(1000, "order-5")
        with pytest.raises(AttributeError, match="nowhere"):
            _ = fakes.nowhere
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/payments/{uid}", timeout=5)


def test_two_fakes_of_one_name_are_refused():
    class Again(PaySimFake):
        pass

    class Twice:
        @hookimpl
        def register_fakes(self) -> list[type[FakeGateway]]:
            return [Again]

    with pytest.raises(ValueError, match="two plugins contribute a fake named 'paysim'"):
        contributed_fakes([PaySimPlugin(), Twice()], load_entry_points=False)


def test_the_hook_is_called_through_pluggy_and_traced(monkeypatch, caplog):
    monkeypatch.setenv("PAYMENT_TRACE_HOOKS", "1")
    with caplog.at_level(logging.INFO, logger="payment_service.hooks"):
        contributed_fakes([PaySimPlugin()], load_entry_points=False)
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 2 and messages[0].startswith("hook register_fakes: calling ")
    assert messages[1] == "hook register_fakes: 1 result(s)"
