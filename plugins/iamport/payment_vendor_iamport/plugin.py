"""The hook implementation payment-service loads through the `payment_service.vendors` entry
point `iamport`."""

from __future__ import annotations

from payment_service.settings import Settings
from payment_service.vendors import Vendor, hookimpl

from .vendor import IamportVendor


@hookimpl
def register_vendors(settings: Settings) -> list[Vendor]:
    """The iamport vendor, configured from `settings` (raises VendorConfigError if unusable)."""
    return [IamportVendor.from_settings(settings)]
