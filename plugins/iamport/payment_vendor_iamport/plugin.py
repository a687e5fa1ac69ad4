"""The hook implementations payment-service loads through the `payment_service.vendors` entry
point `iamport`."""

from __future__ import annotations

from payment_service.vendors import (
    BillingCharge,
    ChargedPayment,
    PluginSettings,
    Vendor,
    VendorSettings,
    hookimpl,
)

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


@hookimpl
def charge_billing_key(
    vendor: Vendor, store_id: str, charge: BillingCharge
) -> ChargedPayment | None:
    """Charge a saved card of this plugin's vendor; None for any other vendor."""
    if not isinstance(vendor, IamportVendor):
        return None
    return vendor.charge_billing_key(store_id, charge)
