"""The two plugin distributions, found through their entry points."""

from __future__ import annotations

import payment_vendor_iamport.plugin
import payment_vendor_toss.plugin
import pytest

from payment_service.vendors import VendorConfigError, VendorRegistry

from .support import vendor_settings


def test_installed_plugins_are_discovered_through_their_entry_points():
    registry = VendorRegistry.from_settings(vendor_settings(load_plugins=True))
    described = {entry["code"]: entry for entry in registry.describe()}
    assert described["iamport"] == {
        "code": "iamport",
        "webhook": "/payments/webhooks/iamport",
        "plugin": "iamport",
        "distribution": "payment-vendor-iamport",
        "version": "0.1.0",
    }
    assert described["toss.payments"] == {
        "code": "toss.payments",
        "webhook": "/payments/webhooks/toss",
        "plugin": "toss",
        "distribution": "payment-vendor-toss",
        "version": "0.1.0",
    }
    assert registry.for_webhook("toss") is registry.get("toss.payments")


def test_plugins_can_be_registered_explicitly():
    plugins = [payment_vendor_iamport.plugin, payment_vendor_toss.plugin]
    registry = VendorRegistry.from_settings(vendor_settings(), plugins)
    assert registry.codes == ["iamport", "toss.payments"]
    assert registry.get("iamport").version == "0.1.0"


def test_a_configuration_error_stops_the_registry():
    settings = vendor_settings({"iamport": {"base_url": "nowhere"}})
    with pytest.raises(VendorConfigError, match="iamport: base_url must be an http"):
        VendorRegistry.from_settings(settings, [payment_vendor_iamport.plugin])
