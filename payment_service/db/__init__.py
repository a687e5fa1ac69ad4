"""Storage: models, sessions and migrations. Only this package writes SQL."""

from .models import (
    AuthFailure,
    Base,
    IdempotencyKey,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryClaim,
    PaymentHistoryPendingRefund,
    PaymentHistoryWebhook,
    PaymentHistoryWebhookResponse,
    PaymentReservation,
)
from .session import Database, DatabaseUnavailable

__all__ = [
    "AuthFailure",
    "Base",
    "Database",
    "DatabaseUnavailable",
    "IdempotencyKey",
    "PaymentHistory",
    "PaymentHistoryCancel",
    "PaymentHistoryClaim",
    "PaymentHistoryPendingRefund",
    "PaymentHistoryWebhook",
    "PaymentHistoryWebhookResponse",
    "PaymentReservation",
]
