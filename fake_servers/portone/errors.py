"""PortOne V2's error answers: `{"type": "<TYPE>", "message": "..."}` with the type's status.

The types and statuses are those of PortOne's OpenAPI document (`x-portone-status-code`); the
official SDKs pick the exception class by `type`, so the spelling matters, the message less.
"""

from __future__ import annotations

from typing import Any

# type -> HTTP status, for every error this fake answers.
STATUSES = {
    "INVALID_REQUEST": 400,
    "UNAUTHORIZED": 401,
    "FORBIDDEN": 403,
    "PAYMENT_NOT_FOUND": 404,
    "BILLING_KEY_NOT_FOUND": 404,
    "ALREADY_PAID": 409,
    "PAYMENT_NOT_PAID": 409,
    "PAYMENT_ALREADY_CANCELLED": 409,
    "CANCEL_AMOUNT_EXCEEDS_CANCELLABLE_AMOUNT": 409,
    "CANCELLABLE_AMOUNT_CONSISTENCY_BROKEN": 409,
    "BILLING_KEY_ALREADY_DELETED": 409,
    "PAYMENT_NOT_WAITING_FOR_DEPOSIT": 409,
    "PG_PROVIDER": 502,  # the PG (the card company behind it) refused: `pgCode`, `pgMessage`
    "NOT_FOUND": 404,  # an unknown route (PortOne's own shape; no SDK call reaches it)
}


class PortOneError(Exception):
    def __init__(self, type: str, message: str, **extra: str):
        super().__init__(message)
        self.type = type
        self.message = message
        self.status = STATUSES[type]
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"type": self.type, "message": self.message, **self.extra}


def invalid_request(message: str) -> PortOneError:
    return PortOneError("INVALID_REQUEST", message)


def payment_not_found(payment_id: str) -> PortOneError:
    return PortOneError("PAYMENT_NOT_FOUND", f"결제 건이 존재하지 않습니다: {payment_id}")


def billing_key_not_found(billing_key: str) -> PortOneError:
    return PortOneError("BILLING_KEY_NOT_FOUND", f"빌링키가 존재하지 않습니다: {billing_key}")
