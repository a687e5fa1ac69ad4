"""The hook implementations payment-service loads through the `payment_service.vendors` entry
point `iamport`."""

from __future__ import annotations

from payment_service.vendors import PluginSettings, Vendor, VendorSettings, hookimpl

from .options import SETTINGS
from .vendor import IamportVendor


@hookimpl
def register_settings() -> PluginSettings:
    """`PAYMENT_VENDORS["iamport"]` and the original server's two variables."""
    return SETTINGS


@hookimpl
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """The iamport vendor, configured from `settings` (raises VendorConfigError if unusable)."""
    return [IamportVendor.from_settings(settings)]
