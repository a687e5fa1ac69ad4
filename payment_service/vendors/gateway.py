"""Outbound HTTP to a gateway, with an overall deadline on every call (connect and the whole
answer: a gateway that trickles bytes ends at the deadline, not later) and errors mapped once
for all vendors (see `errors.py`); and `ObservedVendor`, through which the core makes every
gateway call, so each is measured and logged in this one place."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import quote

from ..crypto import loads
from ..deadlines import Answer, CallFailed, CallTimedOut, DeadlineSession
from ..observability.metrics import observe_gateway
from ..wire import dumps
from .errors import (
    ChargeDeclined,
    ChargingUnsupported,
    GatewayAnswer,
    GatewayError,
    GatewayRejected,
    GatewayTimeout,
    GatewayUnavailable,
    PaymentMismatch,
)
from .interface import (
    BillingCharge,
    ChargedPayment,
    ListedPayment,
    PaymentSummary,
    Refund,
    SignedDelivery,
    Vendor,
    WebhookNotice,
)

T = TypeVar("T")
# The `charge_billing_key` hook as the plugin manager calls it (first non-None answer).
Charger = Callable[..., ChargedPayment | None]

# Statuses whose meaning is the caller's concern and pass through unchanged.
PASS_THROUGH = {400, 404, 409, 422}


class GatewayClient:
    """A connection-reusing JSON client for one gateway's base URL."""

    def __init__(self, vendor: str, base_url: str, timeout_s: float):
        self.vendor = vendor
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = DeadlineSession()

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """Send `body` as JSON and return the parsed answer (fractions as Decimal)."""
        sent = dict(headers or {})
        data = None
        if body is not None:
            sent["Content-Type"] = "application/json"
            data = dumps(body).encode("utf-8")
        where = f"{method} {path}"
        try:
            response = self.session.request_within(
                self.timeout_s, method, self.base_url + path, data=data, headers=sent
            )
        except CallTimedOut:
            raise GatewayTimeout(
                f"{self.vendor} did not answer {where} within {self.timeout_s:g}s; "
                "the outcome at the gateway is unknown.",
                vendor=self.vendor,
                path=path,
            ) from None
        except CallFailed as error:
            raise GatewayUnavailable(
                f"{self.vendor} cannot be reached ({where}): {type(error).__name__}",
                vendor=self.vendor,
                path=path,
            ) from None
        if response.status_code >= 300:
            raise self.error(response, path)
        if not response.content:
            return None
        try:
            return loads(response.content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            raise GatewayError(
                f"{self.vendor} answered {where} with a body that is not JSON.",
                vendor=self.vendor,
                path=path,
                answer=GatewayAnswer.read(response.status_code, response.text),
            ) from None

    def error(self, response: Answer, path: str) -> GatewayError:
        status = response.status_code
        answer = GatewayAnswer.read(status, response.text)
        message = answer.message or f"{self.vendor} answered {status}."
        vendor = self.vendor
        if status in PASS_THROUGH:
            return GatewayRejected(message, status=status, vendor=vendor, path=path, answer=answer)
        if status in (401, 403):
            message = f"{vendor} refused this server's credentials: {message}"
            return GatewayError(message, status=502, vendor=vendor, path=path, answer=answer)
        if status == 429:
            message = f"{vendor} is rate limiting: {message}"
            return GatewayUnavailable(message, vendor=vendor, path=path, answer=answer)
        if status >= 500 or status < 400:
            # A gateway's API never redirects; the call is not followed elsewhere (with its
            # credentials), and the answer is the gateway's failure.
            message = f"{vendor} failed: {message}"
            return GatewayError(message, status=502, vendor=vendor, path=path, answer=answer)
        return GatewayRejected(message, vendor=vendor, path=path, answer=answer)


def decimal(value: Any) -> Decimal:
    """A gateway amount as an exact Decimal (JSON integers, Decimals or numeric strings)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"not an amount: {value!r}")
    return value if isinstance(value, Decimal) else Decimal(str(value))


def segment(value: str) -> str:
    """`value` as one URL path segment, e.g. a payment uid in `/payments/{uid}`.

    Uids come from callers: quoting `/`, `?`, `#` and `%`, and spelling a bare `.` or `..`
    with escapes (HTTP clients resolve those as dot-segments), keeps every uid inside its own
    segment, so a crafted uid can never reach another route of the gateway with our
    credentials.
    """
    quoted = quote(value, safe="")
    return quoted.replace(".", "%2E") if quoted in (".", "..") else quoted


# -- every call the core makes to a gateway, observed in one place ----------------------------

gateway_log = logging.getLogger("payment_service.gateway")


def outcome_of(error: BaseException | None) -> str:
    """The bounded `outcome` label of a gateway call."""
    if error is None:
        return "ok"
    if isinstance(error, PaymentMismatch):
        return "mismatch"
    if isinstance(error, ChargeDeclined):
        return "declined"
    if isinstance(error, GatewayTimeout):
        return "timeout"
    if isinstance(error, GatewayUnavailable):
        return "unavailable"
    if isinstance(error, GatewayRejected):
        return "rejected"
    return "error"


class ObservedVendor(Vendor):
    """A vendor whose gateway calls are timed, counted (Prometheus) and logged (with the
    request id), whatever plugin implements it. The registry hands these out, so no plugin
    records anything itself. Local work (`summarize`, `read_webhook`) passes straight through.
    """

    def __init__(self, vendor: Vendor, charger: Charger | None = None):
        self.inner = vendor
        self.charger = charger
        # Instance attributes shadow the ClassVars: the wrapped vendor's identity, unchanged.
        self.code = vendor.code  # type: ignore[misc]
        self.webhook_name = vendor.webhook_name  # type: ignore[misc]
        self.webhook_schema = vendor.webhook_schema  # type: ignore[misc]

    @property
    def version(self) -> str:
        return self.inner.version

    def __getattr__(self, name: str) -> Any:
        # Anything else a plugin offers (tests, extra helpers) stays reachable.
        return getattr(self.inner, name)

    def _observe(self, operation: str, call: Callable[[], T]) -> T:
        started = time.perf_counter()
        error: BaseException | None = None
        try:
            return call()
        except BaseException as raised:
            error = raised
            raise
        finally:
            seconds = time.perf_counter() - started
            outcome = outcome_of(error)
            observe_gateway(self.code, operation, outcome, seconds)
            gateway_log.info(
                "gateway %s %s: %s in %.1f ms", self.code, operation, outcome, seconds * 1000
            )

    def fetch_payment(self, store_id: str, uid: str) -> dict[str, Any]:
        return self._observe("fetch_payment", lambda: self.inner.fetch_payment(store_id, uid))

    def approve(self, store_id: str, uid: str, *, order_id: str, amount: Decimal) -> dict[str, Any]:
        return self._observe(
            "approve",
            lambda: self.inner.approve(store_id, uid, order_id=order_id, amount=amount),
        )

    def cancel(self, store_id: str, uid: str, refund: Refund) -> dict[str, Any]:
        return self._observe("cancel", lambda: self.inner.cancel(store_id, uid, refund))

    def fetch_reservation(self, store_id: str, uid: str, *, customer_id: str) -> dict[str, Any]:
        return self._observe(
            "fetch_reservation",
            lambda: self.inner.fetch_reservation(store_id, uid, customer_id=customer_id),
        )

    def charge_billing_key(self, store_id: str, charge: BillingCharge) -> ChargedPayment:
        """Charge through the plugins' `charge_billing_key` hook (`ChargingUnsupported` when
        none charges this vendor)."""

        def call() -> ChargedPayment:
            charger = self.charger
            found = None
            if charger is not None:
                found = charger(vendor=self.inner, store_id=store_id, charge=charge)
            if found is None:
                raise ChargingUnsupported(self.code)
            return found

        return self._observe("charge_billing_key", call)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> SignedDelivery | None:
        # Local work; passed on explicitly because the base class has a default (accept all).
        return self.inner.verify_webhook(headers, body)

    @property
    def can_list(self) -> bool:
        return self.inner.can_list

    def list_payments(
        self, store_id: str, since: datetime, until: datetime
    ) -> Iterator[ListedPayment]:
        # The optional capability passes through (the base class would say "unsupported"); a
        # list is many calls paced by its reader, so it is not timed as one.
        return self.inner.list_payments(store_id, since, until)

    def summarize(self, payment: dict[str, Any]) -> PaymentSummary:
        return self.inner.summarize(payment)

    def read_webhook(self, body: Any) -> WebhookNotice:
        return self.inner.read_webhook(body)
