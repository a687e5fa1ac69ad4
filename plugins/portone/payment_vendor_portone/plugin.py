"""The hook implementation payment-service loads through the `payment_service.vendors` entry
point `portone`."""

from __future__ import annotations

from payment_service.settings import Settings
from payment_service.vendors import Vendor, hookimpl

from .vendor import PortOneVendor


@hookimpl
def register_vendors(settings: Settings) -> list[Vendor]:
    """The PortOne vendor, configured from `settings` (raises VendorConfigError if unusable)."""
    return [PortOneVendor.from_settings(settings)]
