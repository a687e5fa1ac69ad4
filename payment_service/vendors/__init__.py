"""Vendor plugins: hookspecs, the plugin manager and the interface the core calls.

A plugin module implements `register_vendors` with `@hookimpl`:

    from payment_service.vendors import hookimpl

    @hookimpl
    def register_vendors(settings):
        return [MyGatewayVendor(settings.vendors.get("my-gateway", {}))]
"""

import pluggy

from .errors import (
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
    CancelRecord,
    ListedPayment,
    PaymentSummary,
    Refund,
    RefundAccount,
    Vendor,
    WebhookNotice,
    packaged_json,
)
from .options import VendorOptions
from .plugins import ENTRY_POINT_GROUP, VendorRegistry, build_manager
from .replies import GatewayReplies

hookimpl = pluggy.HookimplMarker("payment_service")

__all__ = [
    "ENTRY_POINT_GROUP",
    "CancelRecord",
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
    "Refund",
    "RefundAccount",
    "UnknownStore",
    "UnknownVendor",
    "Vendor",
    "VendorConfigError",
    "VendorOptions",
    "VendorRegistry",
    "WebhookNotice",
    "WebhookUnauthorized",
    "build_manager",
    "decimal",
    "hookimpl",
    "packaged_json",
    "segment",
]
