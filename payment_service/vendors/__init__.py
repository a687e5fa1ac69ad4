"""Vendor plugins: hookspecs, the plugin manager and the interface the core calls.

A plugin module implements `register_settings` and `register_vendors` with `@hookimpl`:

    from payment_service.vendors import PluginSettings, hookimpl

    @hookimpl
    def register_settings():
        return PluginSettings(vendor_codes=("my-gateway",))

    @hookimpl
    def register_vendors(settings):  # a VendorSettings: the plugin's own settings only
        return [MyGatewayVendor(settings.vendors.get("my-gateway", {}))]
"""

import pluggy

from .errors import (
    ChargeDeclined,
    ChargingUnsupported,
    DuplicateVendor,
    GatewayAnswer,
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    InvalidWebhook,
    ListingUnsupported,
    PaymentMismatch,
    UnknownStore,
    UnknownVendor,
    VendorConfigError,
    WebhookUnauthorized,
)
from .fakes import FakeGateway, FakeServer
from .gateway import GatewayClient, decimal, segment
from .interface import (
    BillingCharge,
    CancelRecord,
    ChargedPayment,
    ListedPayment,
    PaymentSummary,
    Refund,
    RefundAccount,
    SignedDelivery,
    Vendor,
    WebhookNotice,
    packaged_json,
)
from .options import VendorOptions
from .plugins import ENTRY_POINT_GROUP, VendorRegistry, build_manager
from .replies import GatewayReplies
from .settings import PluginSettings, VendorSettings, plugin_variable

hookimpl = pluggy.HookimplMarker("payment_service")

__all__ = [
    "ENTRY_POINT_GROUP",
    "BillingCharge",
    "CancelRecord",
    "ChargeDeclined",
    "ChargedPayment",
    "ChargingUnsupported",
    "DuplicateVendor",
    "FakeGateway",
    "FakeServer",
    "GatewayAnswer",
    "GatewayClient",
    "GatewayError",
    "GatewayRejected",
    "GatewayReplies",
    "GatewayTimeout",
    "GatewayUnavailable",
    "InvalidWebhook",
    "ListedPayment",
    "ListingUnsupported",
    "PaymentMismatch",
    "PaymentSummary",
    "PluginSettings",
    "Refund",
    "RefundAccount",
    "SignedDelivery",
    "UnknownStore",
    "UnknownVendor",
    "Vendor",
    "VendorConfigError",
    "VendorOptions",
    "VendorRegistry",
    "VendorSettings",
    "WebhookNotice",
    "WebhookUnauthorized",
    "build_manager",
    "decimal",
    "hookimpl",
    "packaged_json",
    "plugin_variable",
    "segment",
]
