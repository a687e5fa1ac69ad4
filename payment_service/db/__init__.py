"""Storage: models, sessions, migrations, and the queries (`db.queries`).

Only this package builds SQL: every statement the service runs is a named function of
`db.queries`, which callers run in the session of their unit of work (`Database.transaction()`
or `reading()`). Outside it, code changes rows those functions returned and adds new model
objects to the session; SQLAlchemy writes both at commit.
"""

from .models import (
    AuthFailure,
    Base,
    Finding,
    FindingEvent,
    IdempotencyKey,
    JanitorCheck,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryClaim,
    PaymentHistoryPendingRefund,
    PaymentHistoryWebhook,
    PaymentHistoryWebhookResponse,
    PaymentReservation,
    ReconcileRun,
)
from .session import Database, DatabaseUnavailable

__all__ = [
    "AuthFailure",
    "Base",
    "Database",
    "DatabaseUnavailable",
    "Finding",
    "FindingEvent",
    "IdempotencyKey",
    "JanitorCheck",
    "PaymentHistory",
    "PaymentHistoryCancel",
    "PaymentHistoryClaim",
    "PaymentHistoryPendingRefund",
    "PaymentHistoryWebhook",
    "PaymentHistoryWebhookResponse",
    "PaymentReservation",
    "ReconcileRun",
]
