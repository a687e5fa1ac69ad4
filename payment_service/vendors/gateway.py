"""Outbound HTTP to a gateway, with an overall deadline on every call (connect and the whole
answer: a gateway that trickles bytes ends at the deadline, not later) and errors mapped once
for all vendors (see `errors.py`)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from ..crypto import dumps, loads
from ..deadlines import DeadlineSession
from .errors import GatewayError, GatewayRejected, GatewayTimeout, GatewayUnavailable

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
        except requests.Timeout:
            raise GatewayTimeout(
                f"{self.vendor} did not answer {where} within {self.timeout_s:g}s; "
                "the outcome at the gateway is unknown.",
                vendor=self.vendor,
                path=path,
            ) from None
        except requests.RequestException as error:
            raise GatewayUnavailable(
                f"{self.vendor} cannot be reached ({where}): {type(error).__name__}",
                vendor=self.vendor,
                path=path,
            ) from None
        if response.status_code >= 400:
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
                gateway_status=response.status_code,
                gateway_body=response.text,
            ) from None

    def error(self, response: requests.Response, path: str) -> GatewayError:
        status = response.status_code
        message = gateway_message(response.text) or f"{self.vendor} answered {status}."
        details = {
            "vendor": self.vendor,
            "path": path,
            "gateway_status": status,
            "gateway_body": response.text,
        }
        if status in PASS_THROUGH:
            return GatewayRejected(message, status=status, **details)
        if status in (401, 403):
            return GatewayError(
                f"{self.vendor} refused this server's credentials: {message}", status=502, **details
            )
        if status == 429:
            return GatewayUnavailable(f"{self.vendor} is rate limiting: {message}", **details)
        if status >= 500:
            return GatewayError(f"{self.vendor} failed: {message}", status=502, **details)
        return GatewayRejected(message, **details)


def gateway_message(text: str) -> str | None:
    """The human message inside a gateway's error body, when it has one."""
    try:
        body = json.loads(text)
    except ValueError:
        return text.strip()[:500] or None
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return body["message"]
    return None


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
