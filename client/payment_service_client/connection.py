"""HTTP, encryption and error mapping shared by every call of the SDK (docs/payment-api.md §1).

Encrypted routes take a ``text/plain`` body holding the base64 AES ciphertext of the JSON
input and answer the same way; errors come back as plain JSON and are never decrypted.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, TypedDict, TypeVar
from urllib.parse import quote

import requests

from .cipher import Cipher, DecryptionError
from .errors import (
    Conflict,
    InvalidResponse,
    PaymentError,
    TransportError,
    TransportTimeout,
    error_from_response,
)

T = TypeVar("T")
Timeout = float | tuple[float, float]
"""Seconds: one number for both connecting and reading, or ``(connect, read)``."""

USER_AGENT = "payment-service-python-sdk/0.1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Retries of a write back off exponentially from this delay, up to the cap (seconds).
RETRY_BASE_S = 0.5
RETRY_MAX_S = 8.0
_NO_BODY: Any = object()


def new_idempotency_key() -> str:
    """A fresh key for one write operation (a random UUID, as the IETF draft suggests)."""
    return str(uuid.uuid4())


def is_retryable(error: Exception) -> bool:
    """Whether a write sent with an idempotency key may be sent again with the same key.

    No answer (the request may or may not have arrived), a gateway failure or timeout (the
    server kept no final answer), or 409 with ``Retry-After`` (the first attempt still runs).
    The key guarantees the server does the work at most once whichever happened.
    """
    if isinstance(error, TransportError):
        return True
    if isinstance(error, PaymentError) and error.headers.get(REPLAYED_HEADER) == "true":
        return False  # the server's final answer to this key: asking again changes nothing
    if isinstance(error, Conflict):
        return "retry-after" in error.headers
    return isinstance(error, PaymentError) and error.status in (502, 503, 504)


class ConnectionOptions(TypedDict, total=False):
    """The keyword options of `PaymentClient` (see there), which its `Connection` takes."""

    timeout: Timeout
    session: requests.Session | None
    headers: Mapping[str, str] | None
    max_retries: int


class Connection:
    """One server address, key/IV pair and HTTP session; used by the route groups.

    Not meant to be built directly: `PaymentClient` owns one.
    """

    def __init__(
        self,
        host: str,
        key: str,
        iv: str,
        *,
        timeout: Timeout = 10.0,
        session: requests.Session | None = None,
        headers: Mapping[str, str] | None = None,
        max_retries: int = 2,
    ):
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        self.max_retries = max_retries
        if not host.startswith(("http://", "https://")):
            raise ValueError(f"host must be an http:// or https:// URL, got {host!r}")
        self.host = host.rstrip("/")
        self.cipher = Cipher(key, iv)  # raises ValueError on an unusable key or IV
        self.timeout = timeout
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}

    def close(self) -> None:
        """Close the HTTP session, unless the caller passed in their own."""
        if self._owns_session:
            self.session.close()

    def call(
        self,
        method: str,
        path: str,
        parse: Callable[[Any], T],
        *,
        status: int,
        body: Any = _NO_BODY,
        idempotency_key: str | None = None,
    ) -> T:
        """Send `body` encrypted (when given), decrypt the answer and `parse` its JSON.

        With an `idempotency_key` (write routes), a failure that `is_retryable` is retried up
        to `max_retries` times with the same key, after a backoff with jitter.
        """
        if idempotency_key is None:
            response = self.send(method, path, status=status, body=body)
        else:
            response = self._send_idempotent(method, path, status, body, idempotency_key)
        try:
            value = self.cipher.decrypt_json(response.content)
        except DecryptionError:
            raise InvalidResponse(
                f"{method} {path}: the answer does not decrypt with this client's key/IV",
                status=response.status_code,
                text=response.text,
            ) from None
        try:
            return parse(value)
        except (ValueError, TypeError) as error:
            raise InvalidResponse(
                f"{method} {path}: unexpected answer: {error}",
                status=response.status_code,
                text=response.text,
            ) from None

    def _send_idempotent(
        self, method: str, path: str, status: int, body: Any, key: str
    ) -> requests.Response:
        headers = {IDEMPOTENCY_HEADER: key}
        attempt = 0
        while True:
            try:
                return self.send(method, path, status=status, body=body, headers=headers)
            except (PaymentError, TransportError) as error:
                if attempt >= self.max_retries or not is_retryable(error):
                    raise
                time.sleep(_backoff(attempt, error))
                attempt += 1

    def send(
        self,
        method: str,
        path: str,
        *,
        status: int,
        body: Any = _NO_BODY,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request and return the response when its status means success.

        Raises `PaymentError` (by status) for error answers and `TransportError` when no
        answer arrives.
        """
        headers = {**self.headers, **(headers or {})}
        data: bytes | None = None
        if body is not _NO_BODY:
            # The server checks the media type token exactly (docs/payment-api.md §1.2).
            headers["Content-Type"] = "text/plain"
            data = self.cipher.encrypt_json(body).encode("ascii")
        try:
            response = self.session.request(
                method,
                self.host + path,
                data=data,
                headers=headers,
                timeout=self.timeout,
                # A redirect would resend the (encrypted, password-bearing) body elsewhere,
                # or turn a POST into a GET; neither is ever right here.
                allow_redirects=False,
            )
        except requests.Timeout as error:
            raise TransportTimeout(f"{method} {path}: timed out: {error}") from error
        except requests.RequestException as error:
            raise TransportError(f"{method} {path}: {error}") from error
        # The original SDK accepts 200, 201 or the route's own status (docs/payment-api.md §1.4).
        if response.status_code not in (200, 201, status):
            raise error_from_response(
                response.status_code,
                response.text,
                method=method,
                path=path,
                headers=response.headers,
            )
        return response


def _backoff(attempt: int, error: Exception) -> float:
    """Seconds before retry number `attempt` + 1: exponential, with jitter so that clients
    failed by one incident do not all come back at once; at least what Retry-After asks."""
    delay = min(RETRY_BASE_S * 2**attempt, RETRY_MAX_S) * random.uniform(0.5, 1.0)
    asked = getattr(error, "headers", {}).get("retry-after", "")
    if asked.isdigit():
        delay = max(delay, min(float(asked), RETRY_MAX_S))
    return delay


def path_id(value: object) -> str:
    """A record id as a path segment, percent-encoded like JavaScript's encodeURIComponent."""
    text = str(value)
    if not text:
        raise ValueError("id must not be empty")
    return quote(text, safe="-_.!~*'()")
