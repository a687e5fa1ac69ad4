"""The hook implementation payment-service loads through the `payment_service.vendors` entry
point `toss`."""

from __future__ import annotations

from payment_service.settings import Settings
from payment_service.vendors import Vendor, hookimpl

from .vendor import TossVendor


@hookimpl
def register_vendors(settings: Settings) -> list[Vendor]:
    """The Toss Payments vendor, configured from `settings` (VendorConfigError if unusable)."""
    return [TossVendor.from_settings(settings)]
