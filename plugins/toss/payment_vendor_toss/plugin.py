"""The hook implementations payment-service loads through the `payment_service.vendors` entry
point `toss`."""

from __future__ import annotations

from payment_service.vendors import PluginSettings, Vendor, VendorSettings, hookimpl

from .options import SETTINGS
from .vendor import TossVendor


@hookimpl
def register_settings() -> PluginSettings:
    """`PAYMENT_VENDORS["toss.payments"]` and the original server's variable."""
    return SETTINGS


@hookimpl
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """The Toss Payments vendor, configured from `settings` (VendorConfigError if unusable)."""
    return [TossVendor.from_settings(settings)]
