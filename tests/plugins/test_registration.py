"""The two plugin distributions, found through their entry points."""

from __future__ import annotations

import payment_vendor_iamport.plugin
import payment_vendor_toss.plugin
import pytest

from payment_service.app import create_app
from payment_service.vendors import VendorConfigError, VendorRegistry, hookimpl
from tests.conftest import make_settings

from .support import vendor_settings


def test_installed_plugins_are_discovered_through_their_entry_points():
    registry = VendorRegistry.from_settings(vendor_settings(load_plugins=True))
    described = {entry["code"]: entry for entry in registry.describe()}
    assert described["iamport"] == {
        "code": "iamport",
        "webhook": "/payments/webhooks/iamport",
        "plugin": "iamport",
        "distribution": "payment-vendor-iamport",
        "version": "0.2.0",
    }
    assert described["toss.payments"] == {
        "code": "toss.payments",
        "webhook": "/payments/webhooks/toss",
        "plugin": "toss",
        "distribution": "payment-vendor-toss",
        "version": "0.2.0",
    }
    assert registry.for_webhook("toss") is registry.get("toss.payments")


def test_plugins_can_be_registered_explicitly():
    plugins = [payment_vendor_iamport.plugin, payment_vendor_toss.plugin]
    registry = VendorRegistry.from_settings(vendor_settings(), plugins)
    assert registry.codes == ["iamport", "toss.payments"]
    assert registry.get("iamport").version == "0.2.0"


def test_a_configuration_error_stops_the_registry():
    settings = vendor_settings({"iamport": {"base_url": "nowhere"}})
    with pytest.raises(VendorConfigError, match="iamport: base_url must be an http"):
        VendorRegistry.from_settings(settings, [payment_vendor_iamport.plugin])


def test_hook_register_vendors_receives_the_settings_and_its_vendors_are_used():
    seen = []

    class Recording:
        @hookimpl
        def register_vendors(self, settings):
            seen.append(settings)
            return []

    settings = vendor_settings()
    VendorRegistry.from_settings(settings, [Recording(), payment_vendor_iamport.plugin])
    assert seen == [settings]


def test_monitor_lists_the_loaded_plugins_with_their_versions(tmp_path):
    app = create_app(
        make_settings(f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        plugins=[payment_vendor_iamport.plugin, payment_vendor_toss.plugin],
    )
    try:
        response = app.test_client().get("/monitors/plugins")
        cipher = app.extensions["payment_service"].settings.keys.connection
        listed = cipher.decrypt_json(response.data)
    finally:
        app.extensions["payment_service"].close()
    assert response.status_code == 200
    assert [(p["code"], p["webhook"], p["version"]) for p in listed] == [
        ("iamport", "/payments/webhooks/iamport", "0.2.0"),
        ("toss.payments", "/payments/webhooks/toss", "0.2.0"),
    ]


def test_trace_hooks_logs_every_hook_call_without_its_arguments(monkeypatch, caplog):
    """PAYMENT_TRACE_HOOKS: the call goes through pluggy, so its monitoring sees it."""
    monkeypatch.setenv("PAYMENT_TRACE_HOOKS", "1")
    plugins = [payment_vendor_iamport.plugin, payment_vendor_toss.plugin]
    settings = vendor_settings(
        {"iamport": {"default": {"imp_key": "k", "imp_secret": "very-secret-value"}}}
    )

    with caplog.at_level("INFO", logger="payment_service.hooks"):
        registry = VendorRegistry.from_settings(settings, plugins)

    assert registry.codes == ["iamport", "toss.payments"]
    lines = [r.getMessage() for r in caplog.records if r.name == "payment_service.hooks"]
    # One call per plugin (each vendor stays attributed to its plugin), each with its answer.
    assert lines == [
        f"hook register_vendors: calling {payment_vendor_iamport.plugin.__name__}",
        "hook register_vendors: 1 result(s)",
        f"hook register_vendors: calling {payment_vendor_toss.plugin.__name__}",
        "hook register_vendors: 1 result(s)",
    ]
    assert "very-secret-value" not in caplog.text


def test_without_trace_hooks_nothing_is_logged(monkeypatch, caplog):
    monkeypatch.delenv("PAYMENT_TRACE_HOOKS", raising=False)
    with caplog.at_level("DEBUG", logger="payment_service.hooks"):
        VendorRegistry.from_settings(vendor_settings(), [payment_vendor_toss.plugin])
    assert [r for r in caplog.records if r.name == "payment_service.hooks"] == []


def test_a_raising_hook_is_traced_and_stops_the_registry(monkeypatch, caplog):
    monkeypatch.setenv("PAYMENT_TRACE_HOOKS", "1")

    class Broken:
        @hookimpl
        def register_vendors(self, settings):
            raise VendorConfigError("broken", ["no credentials"])

    with (
        caplog.at_level("INFO", logger="payment_service.hooks"),
        pytest.raises(VendorConfigError, match="broken"),
    ):
        VendorRegistry.from_settings(vendor_settings(), [Broken()])
    assert (
        "hook register_vendors: raised VendorConfigError('broken: no credentials')" in caplog.text
    )
