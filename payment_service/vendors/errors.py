"""Errors from talking to a gateway, each mapped to the status our client receives.

A gateway's refusal (4xx) keeps its status and message; a gateway that is down, times out or
answers 5xx becomes 502/503/504. Our own credentials being refused is our misconfiguration,
not the caller's fault, so it is a 502 too.
"""

from __future__ import annotations

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


class GatewayError(ServiceError):
    """The gateway refused or failed a call. `gateway` carries its status and raw answer."""

    status = 502

    def __init__(
        self,
        message: str,
        *,
        vendor: str,
        status: int | None = None,
        path: str | None = None,
        gateway_status: int | None = None,
        gateway_body: str | None = None,
    ):
        extra: dict[str, Any] = {"vendor": vendor}
        if path is not None:
            extra["path"] = path
        if gateway_status is not None:
            extra["gateway"] = {"status": gateway_status, "body": (gateway_body or "")[:2000]}
        super().__init__(message, status=status, **extra)
        self.vendor = vendor
        self.gateway_status = gateway_status


class GatewayRejected(GatewayError):
    """The gateway answered 4xx (or a business error): the request itself was refused."""

    status = 422


class GatewayUnavailable(GatewayError):
    """The gateway could not be reached or answered 5xx; nothing is known to have happened."""

    status = 503


class GatewayTimeout(GatewayError):
    """The gateway did not answer in time: the call may or may not have taken effect."""

    status = 504


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
