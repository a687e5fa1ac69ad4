"""The module the entry point `payment_service.vendors: example` names."""

from __future__ import annotations

from payment_service.vendors import PluginSettings, Vendor, VendorSettings, hookimpl

from .vendor import CODE, DEFAULT_BASE_URL, ExampleVendor


@hookimpl
def register_settings() -> PluginSettings:
    """What this plugin reads: `PAYMENT_VENDORS["example"]` (it has no variables of its own;
    a secret one would be `plugin_variable("PAYMENT_EXAMPLE_API_KEY", "…", secret=True)`)."""
    return PluginSettings(
        vendor_codes=(CODE,),
        distribution="payment-vendor-example",
        options=f"`base_url` (`{DEFAULT_BASE_URL}`), `timeout_s`, `default` and `stores` "
        "credentials: `api_key`",
    )


@hookimpl
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """The example vendor, configured from its own settings: `PAYMENT_VENDORS["example"]`."""
    return [ExampleVendor.from_settings(settings)]
