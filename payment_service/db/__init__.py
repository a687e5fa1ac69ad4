"""Storage: models, sessions and migrations. Only this package writes SQL."""

from .models import (
    AuthFailure,
    Base,
    PaymentHistory,
    PaymentHistoryCancel,
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
    "PaymentHistory",
    "PaymentHistoryCancel",
    "PaymentHistoryWebhook",
    "PaymentHistoryWebhookResponse",
    "PaymentReservation",
]
