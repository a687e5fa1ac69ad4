"""The demo shop's server side without a browser: where it is mounted (local mode only), its
routes' answers to what a page or payment-service may send, and its shared inbox."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from demo_shop import DemoShop
from demo_shop.inbox import Inbox, Order
from payment_service.app import create_app
from payment_service.crypto import Cipher
from payment_service.roles.supervisor import demo_shop
from payment_service.settings import Settings
from payment_service.testing import PaymentBackend
from payment_service.wire import dumps
from tests.checkout.windows import GATEWAYS, checkout
from tests.conftest import make_settings
from tests.secret_keys import secret_keys_env

FAKES = {
    "iamport": "http://127.0.0.1:1",
    "toss": "http://127.0.0.1:2",
    "portone": "http://127.0.0.1:3",
}


# ---- mounted in local mode only ------------------------------------------------------------


def test_serve_mounts_the_demo_shop_in_local_mode(tmp_path: Path):
    settings = Settings.load(environ={}, env_file=None)
    shop = demo_shop(settings, "http://127.0.0.1:37821", FAKES)
    assert isinstance(shop, DemoShop)
    assert (shop.key, shop.iv) == (settings.keys.connection.key, settings.keys.connection.iv)
    assert shop.directory.is_dir()
    shop.close()
    assert not shop.directory.exists()


@pytest.mark.parametrize("mode", ["dev", "real"])
def test_serve_mounts_no_demo_shop_in_dev_or_real_mode(mode: str):
    environ = {"PAYMENT_MODE": mode, **secret_keys_env()}
    settings = Settings.load(environ=environ, env_file=None)
    assert demo_shop(settings, "http://127.0.0.1:37821", FAKES) is None


def test_the_app_factory_alone_has_no_demo_shop():
    app = create_app(make_settings("sqlite://"))
    try:
        answer = app.test_client().get("/demo")
        assert answer.status_code == 404
        assert not [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/demo")]
    finally:
        app.extensions["payment_service"].close()


# ---- the page ------------------------------------------------------------------------------


def test_the_page_offers_the_gateways_whose_fake_runs(tmp_path: Path):
    shop = DemoShop(
        "http://127.0.0.1:9", "k" * 32, "i" * 16, {"portone": "http://127.0.0.1:7"}, tmp_path
    )
    app = Flask("shop")
    shop.install(app)
    page = app.test_client().get("/demo").get_data(as_text=True)
    assert 'data-testid="demo-pay-portone"' in page
    assert '<script src="http://127.0.0.1:7/v2/browser-sdk.js"></script>' in page
    assert "demo-pay-iamport" not in page and "demo-pay-toss" not in page
    assert "Pay 20,000 KRW with PortOne" in page


# ---- the routes, against a payment server --------------------------------------------------


@dataclass
class Shop:
    demo: DemoShop
    client: FlaskClient


@pytest.fixture
def shop(backend: PaymentBackend, tmp_path: Path) -> Shop:
    """The shop's routes on a Flask app of their own, paying at `backend` and its fakes."""
    fakes = {name: gateway.url for name, gateway in backend.fakes.gateways.items()}
    demo = DemoShop(backend.url, backend.key, backend.iv, fakes, tmp_path / "shop")
    app = Flask("shop")
    demo.install(app)
    return Shop(demo, app.test_client())


def new_order(client: FlaskClient, vendor: str) -> dict:
    answer = client.post("/demo/orders", json={"vendor": vendor})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def test_an_order_is_the_shops_price_for_a_gateway_it_takes(shop):
    client = shop.client
    order = new_order(client, "toss")
    assert order == {
        "id": order["id"],
        "vendor": "toss",
        "amount": 20000,
        "name": "Coffee beans, 1 kg",
    }
    assert client.post("/demo/orders", json={"vendor": "paypal"}).status_code == 400
    assert client.post("/demo/orders", data="vendor=toss").status_code == 400


@pytest.mark.parametrize(
    "order_id", ["0b1e9d52-3c4f-4e2a-9a1d-6c0f1f0e2d3a", "not-an-id", "..%2F..%2Fetc"]
)
def test_an_unknown_order_is_not_found(shop, order_id):
    client = shop.client
    assert client.get(f"/demo/orders/{order_id}").status_code == 404
    assert client.post(f"/demo/orders/{order_id}/payment", json={"uid": "x"}).status_code == 404
    assert client.post(f"/demo/orders/{order_id}/refund").status_code == 404


@pytest.mark.parametrize("gateway", GATEWAYS, ids=[g.name for g in GATEWAYS])
def test_a_payment_of_the_window_is_registered_then_refunded(shop, backend, gateway):
    client = shop.client
    order = new_order(client, gateway.name)
    fake = getattr(backend, gateway.name)
    done = checkout(fake.url, gateway.request(order["id"]), "pay-card")
    assert client.post(f"/demo/orders/{order['id']}/payment", json={}).status_code == 400

    answer = client.post(
        f"/demo/orders/{order['id']}/payment", json={"uid": gateway.uid(done["result"])}
    )
    assert answer.status_code == 201, answer.get_json()
    payment = answer.get_json()["payment"]
    assert (payment["status"], payment["amount"], payment["currency"]) == ("paid", 20000, "KRW")
    view = client.get(f"/demo/orders/{order['id']}").get_json()
    assert view["payment"] == payment and view["webhooks"] == []

    refunded = client.post(f"/demo/orders/{order['id']}/refund")
    assert refunded.status_code == 200
    assert refunded.get_json()["payment"]["status"] == "refunded"
    assert refunded.get_json()["payment"]["refund"] == 20000
    again = client.post(f"/demo/orders/{order['id']}/refund")
    assert again.status_code == 409
    assert again.get_json() == {"message": "Nothing is left to refund."}


def test_a_payment_of_another_order_is_refused_and_nothing_is_recorded(shop, backend):
    client = shop.client
    gateway = GATEWAYS[0]  # iamport: the payment names its order (merchant_uid)
    order, other = new_order(client, "iamport"), new_order(client, "iamport")
    done = checkout(backend.iamport.url, gateway.request(other["id"]), "pay-card")
    answer = client.post(
        f"/demo/orders/{order['id']}/payment", json={"uid": gateway.uid(done["result"])}
    )
    assert answer.status_code == 422
    assert answer.get_json()["message"].startswith("payment-service: ")
    assert client.get(f"/demo/orders/{order['id']}").get_json()["payment"] is None


def test_a_virtual_account_waits_for_the_deposit_at_the_fakes_bank(shop, backend):
    client = shop.client
    gateway = GATEWAYS[2]
    order = new_order(client, "portone")
    done = checkout(backend.portone.url, gateway.request(order["id"]), "issue-vbank")
    uid = gateway.uid(done["result"])
    payment = client.post(f"/demo/orders/{order['id']}/payment", json={"uid": uid}).get_json()[
        "payment"
    ]
    assert payment["status"] == "waiting for deposit" and payment["paid_at"] is None
    assert payment["bank_url"] == f"{backend.portone.url}/checkout/bank/{uid}"


# ---- payment-service's webhooks ------------------------------------------------------------


def webhook_body(backend: PaymentBackend, source: dict, refund: int | None) -> tuple[str, str]:
    """An encrypted webhook about `source` (as payment-service sends it): its id and body."""
    history = {
        "id": str(uuid.uuid4()),
        "vendor": {"code": "portone", "store_id": "demo-shop", "uid": "payment-1"},
        "source": source,
        "cancels": [],
        "currency": "KRW",
        "price": 20000,
        "refund": None,
        "data": {},
        "webhook_url": "http://127.0.0.1:9/demo/webhooks",
        "created_at": "2026-12-01T00:00:00.000Z",
        "paid_at": "2026-12-01T00:00:01.000Z",
        "cancelled_at": None,
    }
    webhook_id = str(uuid.uuid4())
    current = {**history, "refund": refund, "cancelled_at": "2026-12-01T00:01:00.000Z"}
    payload = {"id": webhook_id, "source": source, "previous": history, "current": current}
    return webhook_id, Cipher(backend.key, backend.iv).encrypt(dumps(payload))


def test_the_shop_keeps_each_webhook_about_its_orders_once(shop, backend):
    client = shop.client
    order = new_order(client, "portone")
    source = {"schema": "demo_shop", "table": "orders", "id": order["id"]}
    webhook_id, body = webhook_body(backend, source, 20000)
    for _ in range(2):  # delivered twice, kept once
        answer = client.post("/demo/webhooks", data=body, content_type="text/plain")
        assert answer.status_code == 200
    (kept,) = client.get(f"/demo/orders/{order['id']}").get_json()["webhooks"]
    assert {key: kept[key] for key in ("id", "before", "after", "refund")} == {
        "id": webhook_id,
        "before": "paid",
        "after": "refunded",
        "refund": 20000,
    }


def test_the_shop_ignores_webhooks_about_what_is_not_its_order(shop, backend):
    client = shop.client
    order = new_order(client, "portone")
    for source in (
        {"schema": "another_service", "table": "orders", "id": order["id"]},
        {"schema": "demo_shop", "table": "orders", "id": str(uuid.uuid4())},
    ):
        _, body = webhook_body(backend, source, 5000)
        assert (
            client.post("/demo/webhooks", data=body, content_type="text/plain").status_code == 200
        )
    assert client.get(f"/demo/orders/{order['id']}").get_json()["webhooks"] == []
    assert not list((shop.demo.directory / "webhooks").iterdir())


def test_the_shop_refuses_a_webhook_it_cannot_decrypt(shop, backend):
    client = shop.client
    order = new_order(client, "portone")
    source = {"schema": "demo_shop", "table": "orders", "id": order["id"]}
    _, body = webhook_body(backend, source, 5000)
    other_key = Cipher("x" * 32, "y" * 16).encrypt(json.dumps({"id": "1"}))
    for wrong in (other_key, body[:-8], "not ciphertext", ""):
        assert (
            client.post("/demo/webhooks", data=wrong, content_type="text/plain").status_code == 400
        )
    assert client.get(f"/demo/orders/{order['id']}").get_json()["webhooks"] == []


# ---- the inbox every worker shares ---------------------------------------------------------


def test_every_process_sees_the_same_inbox(tmp_path: Path):
    one, other = Inbox(tmp_path), Inbox(tmp_path)
    order = Order(str(uuid.uuid4()), "toss", 20000, "Coffee", "secret")
    one.add_order(order)
    assert other.order(order.id) == order
    other.add_webhook(order.id, str(uuid.uuid4()), {"after": "paid"})
    one.add_webhook(order.id, webhook := str(uuid.uuid4()), {"after": "refunded"})
    one.add_webhook(order.id, webhook, {"after": "refunded"})  # a repeated delivery
    assert [kept["after"] for kept in other.webhooks_of(order.id)] == ["paid", "refunded"]
    # Files are written whole, then renamed: no temporary file is left or listed.
    assert not list(tmp_path.rglob("*.tmp"))


@pytest.mark.parametrize("name", ["../orders/x", "x", "", "/etc/passwd"])
def test_the_inbox_takes_only_uuids_as_file_names(tmp_path: Path, name: str):
    inbox = Inbox(tmp_path)
    assert inbox.order(name) is None
    assert inbox.webhooks_of(name) == []
    with pytest.raises(ValueError):
        inbox.add_webhook(name, str(uuid.uuid4()), {})
    with pytest.raises(ValueError):
        inbox.add_order(Order(name, "toss", 1, "x", "y"))
