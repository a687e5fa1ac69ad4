"""The plugin distributions, found through their entry points, and what each is given."""

from __future__ import annotations

import payment_vendor_iamport.plugin
import payment_vendor_toss.plugin
import pytest

from payment_service.app import create_app
from payment_service.vendors import (
    DuplicateVendor,
    PluginSettings,
    VendorConfigError,
    VendorRegistry,
    VendorSettings,
    hookimpl,
    plugin_variable,
)
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


def test_hook_register_vendors_receives_the_plugins_own_settings_and_no_others():
    """A plugin is given its own PAYMENT_VENDORS entries and variables: never the server's
    keys, another plugin's credentials or another plugin's variables."""
    seen = []

    class Recording:
        @hookimpl
        def register_settings(self):
            variable = plugin_variable("PAYMENT_RECORDING_TOKEN", "a token", secret=True)
            return PluginSettings(vendor_codes=("recording",), variables=(variable,))

        @hookimpl
        def register_vendors(self, settings):
            seen.append(settings)
            return []

    vendors = {
        "recording": {"default": {"token": "mine"}},
        "iamport": {"default": {"imp_key": "k", "imp_secret": "iamport-secret"}},
        "toss.payments": {"default": {"secret_key": "toss-secret"}},
    }
    environ = {
        "PAYMENT_RECORDING_TOKEN": "my-token",
        "PAYMENT_TOSS_PAYMENTS_SECRET": "toss-env-secret",
        "PAYMENT_VENDOR_TIMEOUT_S": "7",
    }
    settings = vendor_settings(vendors, environ)
    plugins = [Recording(), payment_vendor_iamport.plugin, payment_vendor_toss.plugin]
    registry = VendorRegistry.from_settings(settings, plugins)
    assert registry.codes == ["iamport", "toss.payments"]
    (given,) = seen
    assert isinstance(given, VendorSettings)
    assert given.vendors == {"recording": {"default": {"token": "mine"}}}
    assert given.environ == {"PAYMENT_RECORDING_TOKEN": "my-token"}
    assert (given.mode, given.vendor_timeout_s) == ("local", 7.0)
    shown = repr(given) + repr(vars(given))
    for secret in ("iamport-secret", "toss-secret", "toss-env-secret", settings.keys.history.key):
        assert secret not in shown
    assert not hasattr(given, "keys")


def test_a_plugin_that_declares_no_settings_gets_only_what_no_declaration_claims(caplog):
    """Plugins written before `register_settings` keep working: they are given the entries
    and variables nobody else declares, never the server's or a declared plugin's."""
    seen = []

    class Legacy:
        @hookimpl
        def register_vendors(self, settings):
            seen.append(settings)
            return []

    vendors = {
        "legacy": {"default": {"api_key": "legacy-key"}},
        "iamport": {"default": {"imp_key": "k", "imp_secret": "iamport-secret"}},
    }
    environ = {"PAYMENT_LEGACY_TOKEN": "t", "PAYMENT_IAMPORT_KEY": "k2", "HOME": "/root"}
    settings = vendor_settings(vendors, environ | {"PAYMENT_IAMPORT_SECRET": "s2"})
    VendorRegistry.from_settings(settings, [Legacy(), payment_vendor_iamport.plugin])
    (given,) = seen
    assert given.vendors == {"legacy": {"default": {"api_key": "legacy-key"}}}
    assert given.environ == {"PAYMENT_LEGACY_TOKEN": "t", "HOME": "/root"}
    assert "declares no settings" in caplog.text


def test_a_plugin_registering_a_code_it_did_not_declare_stops_the_registry():
    class Sloppy:
        @hookimpl
        def register_settings(self):
            return PluginSettings(vendor_codes=("declared",))

        @hookimpl
        def register_vendors(self, settings):
            return payment_vendor_toss.plugin.register_vendors(settings)

    with pytest.raises(VendorConfigError, match=r"registers vendor code 'toss\.payments' but"):
        VendorRegistry.from_settings(vendor_settings(), [Sloppy()])


def test_two_plugins_claiming_one_vendor_code_stop_the_registry():
    class Claimer:
        @hookimpl
        def register_settings(self):
            return PluginSettings(vendor_codes=("iamport",))

        @hookimpl
        def register_vendors(self, settings):
            return []

    with pytest.raises(DuplicateVendor, match="vendor code 'iamport' is claimed twice"):
        VendorRegistry.from_settings(vendor_settings(), [payment_vendor_iamport.plugin, Claimer()])


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


def test_trace_hooks_logs_every_hook_call_without_its_arguments(caplog):
    """PAYMENT_TRACE_HOOKS: the call goes through pluggy, so its monitoring sees it."""
    plugins = [payment_vendor_iamport.plugin, payment_vendor_toss.plugin]
    settings = vendor_settings(
        {"iamport": {"default": {"imp_key": "k", "imp_secret": "very-secret-value"}}},
        {"PAYMENT_TRACE_HOOKS": "1"},
    )

    with caplog.at_level("INFO", logger="payment_service.hooks"):
        registry = VendorRegistry.from_settings(settings, plugins)

    assert registry.codes == ["iamport", "toss.payments"]
    lines = [r.getMessage() for r in caplog.records if r.name == "payment_service.hooks"]
    # One call per plugin (each vendor stays attributed to its plugin), each with its answer.
    assert lines == [
        f"hook register_settings: calling {payment_vendor_iamport.plugin.__name__}",
        "hook register_settings: 1 result(s)",
        f"hook register_settings: calling {payment_vendor_toss.plugin.__name__}",
        "hook register_settings: 1 result(s)",
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


def test_a_raising_hook_is_traced_and_stops_the_registry(caplog):
    class Broken:
        @hookimpl
        def register_vendors(self, settings):
            raise VendorConfigError("broken", ["no credentials"])

    with (
        caplog.at_level("INFO", logger="payment_service.hooks"),
        pytest.raises(VendorConfigError, match="broken"),
    ):
        VendorRegistry.from_settings(
            vendor_settings(environ={"PAYMENT_TRACE_HOOKS": "1"}), [Broken()]
        )
    assert (
        "hook register_vendors: raised VendorConfigError('broken: no credentials')" in caplog.text
    )
