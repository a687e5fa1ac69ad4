"""The module the entry point `payment_service.vendors: example` names."""

from __future__ import annotations

from payment_service.settings import Settings
from payment_service.vendors import Vendor, hookimpl

from .vendor import ExampleVendor


@hookimpl
def register_vendors(settings: Settings) -> list[Vendor]:
    """The example vendor, configured from `PAYMENT_VENDORS["example"]`."""
    return [ExampleVendor.from_settings(settings)]
