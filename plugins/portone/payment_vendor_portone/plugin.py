"""The hook implementations payment-service loads through the `payment_service.vendors` entry
point `portone`."""

from __future__ import annotations

from payment_service.vendors import PluginSettings, Vendor, VendorSettings, hookimpl

from .options import SETTINGS
from .vendor import PortOneVendor


@hookimpl
def register_settings() -> PluginSettings:
    """`PAYMENT_VENDORS["portone"]`; PortOne has no variables of its own."""
    return SETTINGS


@hookimpl
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """The PortOne vendor, configured from `settings` (raises VendorConfigError if unusable)."""
    return [PortOneVendor.from_settings(settings)]
