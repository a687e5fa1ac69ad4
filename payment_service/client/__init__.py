"""Python SDK of the payment server: typed calls for every route, and webhook helpers.

See README.md in this package for the integrator guide. Quick start::

    from payment_service.client import PaymentClient

    with PaymentClient("http://127.0.0.1:37821", key, iv) as client:
        history = client.histories.get(source=source, password="...")
"""

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
    SystemInfo,
    TossBilling,
    TossPayment,
    TossPaymentCancel,
)
from .schedules import Schedule, SchedulePeriod, ScheduleWebhook, decode_schedule_webhook
from .webhooks import (
    WEBHOOK_ID_HEADER,
    WEBHOOK_SIGNATURE_HEADER,
    WEBHOOK_TIMESTAMP_HEADER,
    decode_webhook,
    generate_webhook_secret,
    sign_webhook,
    verify_webhook_signature,
    webhook_key,
)

__all__ = [
    "WEBHOOK_ID_HEADER",
    "WEBHOOK_SIGNATURE_HEADER",
    "WEBHOOK_TIMESTAMP_HEADER",
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
    "WebhookDecodeError",
    "WebhookError",
    "WebhookSignatureError",
    "decode_schedule_webhook",
    "decode_webhook",
    "generate_webhook_secret",
    "sign_webhook",
    "verify_webhook_signature",
    "webhook_key",
]
