"""Errors from talking to a gateway, each mapped to the status our client receives.

A gateway's refusal (4xx) keeps its status and message; a gateway that is down, times out or
answers 5xx becomes 502/503/504. Our own credentials being refused is our misconfiguration,
not the caller's fault, so it is a 502 too.

These are part of the server's one error family (`payment_service.errors`); the gateway's own
answer travels typed, as a `GatewayAnswer`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..errors import BadRequest, ServiceError, Unprocessable


class VendorConfigError(Exception):
    """A plugin's settings are unusable; `problems` name each one."""

    def __init__(self, vendor: str, problems: list[str]):
        self.vendor = vendor
        self.problems = problems
        super().__init__(f"{vendor}: " + "; ".join(problems))


class DuplicateVendor(Exception):
    """Two plugins registered the same vendor code."""


class UnknownVendor(BadRequest):
    def __init__(self, code: str):
        super().__init__("Unknown vendor.", vendor=code)


class UnknownStore(Unprocessable):
    """No credentials are configured for the store id the caller named."""

    def __init__(self, vendor: str, store_id: str):
        super().__init__(
            f"No {vendor} credentials are configured for store {store_id!r}.",
            vendor=vendor,
            store_id=store_id,
        )


@dataclass(frozen=True)
class GatewayAnswer:
    """What a gateway answered to a call that failed: its HTTP status and body, and the
    message inside that body when it has one."""

    status: int
    body: str
    message: str | None = None

    @classmethod
    def read(cls, status: int, body: str) -> GatewayAnswer:
        """The answer with its message read from a JSON body (`message`, as every gateway
        here names it); a body that is not JSON is its own message."""
        try:
            parsed = json.loads(body)
        except ValueError:
            return cls(status, body, message=body.strip()[:500] or None)
        message = parsed.get("message") if isinstance(parsed, dict) else None
        return cls(status, body, message=message if isinstance(message, str) else None)


class GatewayError(ServiceError):
    """The gateway refused or failed a call. `answer` is what it answered, when it did; the
    body our client receives shows its status and (the start of) its body as `gateway`."""

    status = 502
    BODY_SHOWN = 2000

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        path: str | None = None,
        answer: GatewayAnswer | None = None,
    ):
        super().__init__(message, status=status)
        self.vendor = vendor
        self.path = path
        self.answer = answer

    @property
    def gateway_status(self) -> int | None:
        return None if self.answer is None else self.answer.status

    def body(self) -> dict[str, Any]:
        body = {**super().body(), "vendor": self.vendor}
        if self.path is not None:
            body["path"] = self.path
        if self.answer is not None:
            body["gateway"] = {
                "status": self.answer.status,
                "body": self.answer.body[: self.BODY_SHOWN],
            }
        return body


class GatewayRejected(GatewayError):
    """The gateway answered 4xx (or a business error): the request itself was refused."""

    status = 422


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or answered 5xx; nothing is known to have happened."""

    status = 503


class GatewayTimeout(GatewayError):
    """The gateway did not answer in time: the call may or may not have taken effect."""

    status = 504


class ChargeDeclined(GatewayRejected):
    """The gateway declined a billing-key charge (the card company refused it: limit, balance,
    expired card ...): no money moved. `code` is the gateway's (or the card company's) code
    for the reason, shown to our client beside the gateway's message."""

    status = 422

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        code: str | None,
        path: str | None = None,
        answer: GatewayAnswer | None = None,
    ):
        super().__init__(message, vendor=vendor, path=path, answer=answer)
        self.code = code

    def body(self) -> dict[str, Any]:
        return {**super().body(), "declined": True, "code": self.code}


class ChargingUnsupported(Unprocessable):
    """No installed plugin charges billing keys of this vendor (`charge_billing_key`)."""

    def __init__(self, vendor: str):
        super().__init__(
            f"The vendor {vendor!r} cannot charge saved cards: its plugin does not implement "
            "the `charge_billing_key` hook.",
            vendor=vendor,
        )


class PaymentMismatch(Unprocessable):
    """The gateway payment does not match the order (amount, order id or state).

    `cancelled` says whether the gateway payment was cancelled because of it.
    """

    def __init__(self, message: str, *, vendor: str, cancelled: bool, **extra: Any):
        super().__init__(message, vendor=vendor, cancelled=cancelled, **extra)
        self.cancelled = cancelled


class ListingUnsupported(ServiceError):
    """The vendor's plugin cannot list the gateway's payments, so it cannot be reconciled."""

    def __init__(self, vendor: str):
        super().__init__(
            f"The vendor {vendor!r} does not support reconciliation: its plugin cannot list "
            "the gateway's payments (it does not implement `list_payments`).",
            status=501,
            vendor=vendor,
        )


class InvalidWebhook(BadRequest):
    """An inbound gateway webhook body is malformed."""


class WebhookUnauthorized(ServiceError):
    """An inbound webhook of a gateway that signs its webhooks is unsigned or badly signed."""

    status = 401
