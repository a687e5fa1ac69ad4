"""The hook implementations payment-service loads through the `payment_service.vendors` entry
point `toss`."""

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
from .vendor import TossVendor


@hookimpl
def register_settings() -> PluginSettings:
    """`PAYMENT_VENDORS["toss.payments"]` and the original server's variable."""
    return SETTINGS


@hookimpl
def register_vendors(settings: VendorSettings) -> list[Vendor]:
    """The Toss Payments vendor, configured from `settings` (VendorConfigError if unusable)."""
    return [TossVendor.from_settings(settings)]


@hookimpl
def charge_billing_key(
    vendor: Vendor, store_id: str, charge: BillingCharge
) -> ChargedPayment | None:
    """Charge a saved card of this plugin's vendor; None for any other vendor."""
    if not isinstance(vendor, TossVendor):
        return None
    return vendor.charge_billing_key(store_id, charge)
