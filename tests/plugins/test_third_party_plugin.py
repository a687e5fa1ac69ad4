"""A third-party vendor distribution (`examples/vendor-example`), installed the way an operator
would install one, works without any change to the core: discovered through its entry point,
listed with its version, and used for payments."""

from __future__ import annotations

import importlib
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask.testing import FlaskClient

from payment_service.app import create_app
from payment_service.client import PaymentClient
from payment_service.settings import Settings
from payment_service.testing import PaymentBackend
from payment_service.vendors import (
    DuplicateVendor,
    Refund,
    UnknownVendor,
    Vendor,
    VendorRegistry,
    hookimpl,
)
from tests.conftest import make_settings

from .support import vendor_settings

if TYPE_CHECKING:
    from payment_vendor_example.fake import ExampleGateway

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vendor-example"


@pytest.fixture(scope="module")
def example_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """`pip install` the example into a temporary directory put on sys.path: its dist-info
    (and so its entry point) is then visible to importlib.metadata, as in a site-packages.
    Only for this module: other tests must not find it among the installed plugins."""
    # pip builds inside the source tree; a copy keeps build/ and egg-info out of the repo.
    source = tmp_path_factory.mktemp("source") / "vendor-example"
    shutil.copytree(EXAMPLE, source)
    target = tmp_path_factory.mktemp("site-packages")
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    subprocess.run([*command, "--target", str(target), str(source)], check=True, timeout=300)
    sys.path.insert(0, str(target))
    importlib.invalidate_caches()
    try:
        yield target
    finally:
        sys.path.remove(str(target))
        for name in [m for m in sys.modules if m.startswith("payment_vendor_example")]:
            del sys.modules[name]
        importlib.invalidate_caches()


@pytest.fixture
def gateway(example_installed: Path) -> Iterator[tuple[ExampleGateway, str]]:
    """The example's own fake (the plugin ships it), on a free port."""
    from payment_vendor_example.fake import ExampleGateway

    with ExampleGateway() as example:
        yield example, example.url


def example_options(url: str) -> dict[str, Any]:
    from payment_vendor_example.fake import ExampleFake

    return {"example": ExampleFake.vendor_options(url)}


@pytest.fixture
def registry(example_installed: Path, gateway: tuple[ExampleGateway, str]) -> VendorRegistry:
    settings = vendor_settings(example_options(gateway[1]), load_plugins=True)
    return VendorRegistry.from_settings(settings)


def test_the_installed_plugin_is_discovered_with_its_version(registry: VendorRegistry):
    assert "example" in registry.codes
    [entry] = [entry for entry in registry.describe() if entry["code"] == "example"]
    assert entry == {
        "code": "example",
        "webhook": "/payments/webhooks/example",
        "plugin": "example",
        "distribution": "payment-vendor-example",
        "version": "1.3.0",
    }
    assert registry.for_webhook("example") is registry.get("example")


def test_the_plugin_approves_and_cancels_through_the_registry(
    registry: VendorRegistry, gateway: tuple[ExampleGateway, str]
):
    example, _ = gateway
    vendor = registry.get("example")
    paid = example.authorize("order-1", 20000)
    payment = vendor.approve("store", paid["id"], order_id="order-1", amount=Decimal(20000))
    assert vendor.summarize(payment).paid_at is not None
    refunded = vendor.cancel("store", paid["id"], Refund("order-1", Decimal(5000), "r"))
    summary = vendor.summarize(refunded)
    assert (summary.price, [c.amount for c in summary.cancels]) == (20000, [5000])
    assert (
        vendor.read_webhook({"type": "payment.updated", "payment_id": paid["id"]}).uid == paid["id"]
    )


class SecondExample:
    """Another plugin that claims the vendor code "example"."""

    @hookimpl
    def register_vendors(self, settings: Settings) -> list[Vendor]:
        from payment_vendor_example import ExampleVendor

        class Impostor(ExampleVendor):
            webhook_name = "impostor"

        return [Impostor.from_settings(settings)]


def test_two_plugins_with_one_vendor_code_stop_the_server(
    example_installed: Path, gateway: tuple[ExampleGateway, str]
):
    settings = vendor_settings(example_options(gateway[1]), load_plugins=True)
    with pytest.raises(DuplicateVendor) as raised:
        VendorRegistry.from_settings(settings, [SecondExample()])
    named = re.fullmatch(
        r"vendor code 'example' is registered twice: by plugin '(.+)' and by plugin '(.+)'",
        str(raised.value),
    )
    assert named is not None, str(raised.value)
    assert "example" in named.groups()


def test_an_unknown_vendor_code_is_a_400(registry: VendorRegistry):
    with pytest.raises(UnknownVendor) as raised:
        registry.get("no-such-gateway")
    assert raised.value.status == 400
    assert raised.value.body()["message"] == "Unknown vendor."


# ---- through the HTTP API --------------------------------------------------------------------


def call(client: FlaskClient, settings: Settings, method: str, path: str, body: Any) -> Any:
    """One encrypted request (docs/payment-api.md §1.2); returns (status, decrypted or error
    body)."""
    cipher = settings.keys.connection
    response = client.open(
        path, method=method, data=cipher.encrypt_json(body), content_type="text/plain"
    )
    if response.status_code >= 400:
        return response.status_code, response.get_json()
    return response.status_code, cipher.decrypt_json(response.get_data())


def test_example_vendor_payment_created_and_cancelled_through_the_http_api(
    example_installed: Path, gateway: tuple[ExampleGateway, str], database_url: str
):
    example, url = gateway
    settings = make_settings(database_url, load_plugins=True, vendors=example_options(url))
    app = create_app(settings)
    client = app.test_client()
    source = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
    paid = example.authorize(source["id"], 20000)
    try:
        status, history = call(
            client,
            settings,
            "POST",
            "/payments/histories",
            {
                "vendor": {"code": "example", "store_id": "store", "uid": paid["id"]},
                "source": source,
                "price": 20000,
                "password": "pw",
                "webhook_url": "http://127.0.0.1:9/hook",
            },
        )
        assert status == 201, history
        assert (history["vendor_code"], history["price"], history["paid_at"] is not None) == (
            "example",
            20000,
            True,
        )
        assert example.payments[paid["id"]]["status"] == "captured"

        cancel = {"source": source, "password": "pw", "price": 5000, "reason": "r", "account": None}
        status, history = call(client, settings, "PUT", "/payments/histories/cancel", cancel)
        assert status == 200, history
        assert [c["price"] for c in history["cancels"]] == [5000]
        assert history["refund"] == 5000

        # The plugin's own inbound webhook route exists too.
        response = client.post("/payments/webhooks/example", json={"payment_id": paid["id"]})
        assert response.status_code == 201
        assert "X-Webhook-Outcome" not in response.headers
    finally:
        app.extensions["payment_service"].close()


# ---- its fake, through the test kit -------------------------------------------------------------


def test_the_installed_plugin_contributes_its_fake_to_the_test_kit(example_installed: Path):
    """The example's fake is found through its entry point, started on a free port, and the
    example vendor is pointed at it: a payment made at the fake is registered and captured."""
    with (
        PaymentBackend() as backend,
        PaymentClient(backend.url, backend.key, backend.iv) as client,
    ):
        assert backend.fakes.vendor_options()["example"] == {
            "base_url": backend.example.url,
            "default": {"api_key": "ex_test_key"},
        }
        order = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
        uid = backend.customer.pay_by_card("example", 20000, order["id"])
        assert backend.example.payments[uid]["status"] == "authorized"
        history = client.histories.create(
            vendor={"code": "example", "store_id": "store", "uid": uid},
            source=order,
            price=20000,
            password="pw",
            webhook_url="http://127.0.0.1:9/hook",
        )
        assert (history.vendor_code, history.paid_at is not None) == ("example", True)
        assert backend.example.payments[uid]["status"] == "captured"
        with pytest.raises(NotImplementedError, match="fake example gateway has no virtual"):
            backend.customer.issue_virtual_account("example", 1000, order["id"])
