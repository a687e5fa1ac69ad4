"""Exceptions raised by the SDK.

Everything the SDK raises on purpose derives from `PaymentSDKError`, so one ``except`` clause
can catch it all. The tree::

    PaymentSDKError
    ├── PaymentError            the server answered with an error status (status, message, body)
    │   ├── BadRequest          400: invalid input, undecryptable body (wrong key/IV), bad id
    │   ├── Forbidden           403: wrong record password
    │   ├── NotFound            404: no such record
    │   ├── Conflict            409: the source or the gateway uid is already registered
    │   ├── Unprocessable       422: the gateway refused (wrong amount, refund too large, ...)
    │   └── ServerError         other 5xx
    │       └── GatewayError    502/503/504: the gateway (or a proxy) is down or timed out
    ├── TransportError          no usable HTTP answer: refused connection, DNS, TLS, timeout
    │   └── TransportTimeout    connect or read timeout
    ├── InvalidResponse         a success status whose body could not be decrypted or parsed
    └── WebhookError
        ├── WebhookDecodeError      a webhook body that does not decrypt to a webhook
        └── WebhookSignatureError   a missing, wrong or stale Standard Webhooks signature

Statuses without a class of their own (401, 405, 413, 415, a 3xx, a gateway's pass-through
4xx...) raise `PaymentError` itself; its `status` says which.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from requests.structures import CaseInsensitiveDict

# How much of a non-JSON error body (an HTML page from a proxy, say) goes into the message.
_MESSAGE_PREVIEW = 200


class PaymentSDKError(Exception):
    """Root of every exception the SDK raises on purpose."""


class PaymentError(PaymentSDKError):
    """The server answered with a status other than the route's success status.

    Error bodies are plain JSON, never encrypted (docs/payment-api.md §1.4), so nothing here is
    decrypted.

    Attributes:
        status: the HTTP status code.
        message: the body's ``message`` when it has one, else a short description.
        body: the parsed JSON body (any JSON value), or None when the body was not JSON.
        text: the raw body text.
        method: the request's HTTP method.
        path: the request's path (without the host).
        headers: the response headers (names case-insensitive).
    """

    def __init__(
        self,
        status: int,
        message: str,
        *,
        body: Any = None,
        text: str = "",
        method: str = "",
        path: str = "",
        headers: Mapping[str, str] | None = None,
    ):
        super().__init__(
            f"{status} {message}{_details(body)}" + (f" ({method} {path})" if method else "")
        )
        self.status = status
        self.message = message
        self.body = body
        self.text = text
        self.method = method
        self.path = path
        self.headers: Mapping[str, str] = CaseInsensitiveDict(headers or {})


class BadRequest(PaymentError):
    """400: the input failed validation, or the body did not decrypt (wrong key or IV)."""


class Forbidden(PaymentError):
    """403: the record exists but the password is wrong (message ``Wrong password.``)."""


class NotFound(PaymentError):
    """404: no record matches the source or id (or the route does not exist)."""


class Conflict(PaymentError):
    """409: a record with the same source, or the same gateway uid, already exists."""


class Unprocessable(PaymentError):
    """422: the gateway or the server refused the operation (amount mismatch, refund too big)."""


class ServerError(PaymentError):
    """A 5xx answer. Whether the operation took effect is unknown: re-read before retrying."""


class GatewayError(ServerError):
    """502/503/504: a payment gateway (or a proxy in front of the server) failed or timed out."""


class TransportError(PaymentSDKError):
    """No usable HTTP answer: connection refused, DNS or TLS failure, dropped connection.

    If the request may have reached the server (anything but a refused connection), a
    create or cancel may have taken effect: read the record with ``get`` before retrying.
    """


class TransportTimeout(TransportError):
    """The connection or the answer took longer than the client's timeout."""


class InvalidResponse(PaymentSDKError):
    """The server answered with a success status but the body is not what the route returns.

    Usually the server uses another key/IV than the client, or something other than the
    payment server answered. `status` and `text` are the raw answer.
    """

    def __init__(self, message: str, *, status: int | None = None, text: str = ""):
        super().__init__(message)
        self.status = status
        self.text = text


class WebhookError(PaymentSDKError):
    """A received webhook could not be accepted; `status` is what the receiver answers."""

    status = 400


class WebhookDecodeError(WebhookError, ValueError):
    """The body did not decrypt, with the given key/IV, to a webhook payload (answer 400)."""


class WebhookSignatureError(WebhookError):
    """The Standard Webhooks signature headers are missing, do not match, or are stale
    (answer 401: the sender is not who it says)."""

    status = 401


_BY_STATUS: dict[int, type[PaymentError]] = {
    400: BadRequest,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: Unprocessable,
    502: GatewayError,
    503: GatewayError,
    504: GatewayError,
}


def error_class(status: int) -> type[PaymentError]:
    """The exception class for an error `status`."""
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    return PaymentError


def error_from_response(
    status: int,
    text: str,
    *,
    method: str = "",
    path: str = "",
    headers: Mapping[str, str] | None = None,
) -> PaymentError:
    """Build the exception for an error answer, reading `message` from any JSON body.

    Only ``message`` is relied on (the original server's NestJS bodies, our server's bodies
    and pass-through gateway errors all carry one); every other key stays in `body`.
    """
    body: Any
    try:
        body = json.loads(text) if text else None
    except ValueError:
        body = None
    message = _message(status, body, text)
    cls = error_class(status)
    return cls(status, message, body=body, text=text, method=method, path=path, headers=headers)


def _details(body: Any) -> str:
    """What else the body says besides its ``message``, for ``str(error)``: where in the
    input the problem is (``path``) and why (``reason``), as validation errors and gateway
    pass-through errors carry them."""
    if not isinstance(body, dict):
        return ""
    parts = [
        f"{key}: {body[key]}"
        for key in ("path", "reason")
        if isinstance(body.get(key), str) and body[key]
    ]
    return f" [{'; '.join(parts)}]" if parts else ""


def _message(status: int, body: Any, text: str) -> str:
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
        if isinstance(message, list) and message:
            # Some NestJS pipes answer a list of messages.
            return "; ".join(str(item) for item in message)
    stripped = text.strip()
    if stripped and body is None:
        return stripped[:_MESSAGE_PREVIEW]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
