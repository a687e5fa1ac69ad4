"""Python SDK of the payment server: typed calls for every route, sync and async, the wire
encryption, and webhook helpers.

See README.md of the `payment-service-client` distribution for the integrator guide. Quick
start::

    from payment_service_client import PaymentClient

    with PaymentClient("http://127.0.0.1:37821", key, iv) as client:
        history = client.histories.get(source=source, password="...")

`AsyncPaymentClient` (the same calls, awaited) needs the ``async`` extra (httpx); it is
imported on first use, so that the sync SDK never needs httpx.
"""

from typing import TYPE_CHECKING, Any

from .client import PaymentClient
from .errors import (
    BadRequest,
    Conflict,
    Forbidden,
    GatewayError,
    InvalidResponse,
    NotFound,
    PaymentError,
    PaymentSDKError,
    ServerError,
    TransportError,
    TransportTimeout,
    Unprocessable,
    WebhookDecodeError,
    WebhookError,
    WebhookSignatureError,
)
from .models import (
    IAMPORT,
    IAMPORT_VIEW,
    PORTONE,
    PORTONE_VIEW,
    TOSS,
    TOSS_VIEW,
    BankAccount,
    IamportPayment,
    IamportPaymentCancel,
    IamportSubscription,
    PaymentCancel,
    PaymentHistory,
    PaymentReservation,
    PaymentSource,
    PaymentVendor,
    PaymentWebhook,
    Performance,
    PortOneBillingKey,
    PortOnePayment,
    PortOnePaymentAmount,
    PortOnePaymentCancellation,
    Schedule,
    SchedulePeriod,
    ScheduleWebhook,
    SystemInfo,
    TossBilling,
    TossPayment,
    TossPaymentCancel,
    VendorCode,
    VendorPlugin,
    VendorView,
    WebhookCounts,
)
from .receiving import WebhookVerifier
from .webhooks import (
    WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
    decode_schedule_webhook,
    decode_webhook,
    generate_webhook_secret,
    sign_webhook,
    verify_webhook_signature,
    webhook_key,
)

if TYPE_CHECKING:
    from .aio import AsyncPaymentClient


def __getattr__(name: str) -> Any:
    # AsyncPaymentClient imports httpx, which only the `async` extra installs.
    if name == "AsyncPaymentClient":
        from .aio import AsyncPaymentClient

        return AsyncPaymentClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "IAMPORT",
    "IAMPORT_VIEW",
    "PORTONE",
    "PORTONE_VIEW",
    "TOSS",
    "TOSS_VIEW",
    "WEBHOOK_ID_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "WEBHOOK_TIMESTAMP_HEADER",
    "AsyncPaymentClient",
    "BadRequest",
    "BankAccount",
    "Conflict",
    "Forbidden",
    "GatewayError",
    "IamportPayment",
    "IamportPaymentCancel",
    "IamportSubscription",
    "InvalidResponse",
    "NotFound",
    "PaymentCancel",
    "PaymentClient",
    "PaymentError",
    "PaymentHistory",
    "PaymentReservation",
    "PaymentSDKError",
    "PaymentSource",
    "PaymentVendor",
    "PaymentWebhook",
    "Performance",
    "PortOneBillingKey",
    "PortOnePayment",
    "PortOnePaymentAmount",
    "PortOnePaymentCancellation",
    "Schedule",
    "SchedulePeriod",
    "ScheduleWebhook",
    "ServerError",
    "SystemInfo",
    "TossBilling",
    "TossPayment",
    "TossPaymentCancel",
    "TransportError",
    "TransportTimeout",
    "Unprocessable",
    "VendorCode",
    "VendorPlugin",
    "VendorView",
    "WebhookCounts",
    "WebhookDecodeError",
    "WebhookError",
    "WebhookSignatureError",
    "WebhookVerifier",
    "decode_schedule_webhook",
    "decode_webhook",
    "generate_webhook_secret",
    "sign_webhook",
    "verify_webhook_signature",
    "webhook_key",
]
