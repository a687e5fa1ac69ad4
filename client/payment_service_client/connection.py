"""HTTP, encryption and error mapping shared by every call of the SDK (docs/payment-api.md §1).

Encrypted routes take a ``text/plain`` body holding the base64 AES ciphertext of the JSON
input and answer the same way; errors come back as plain JSON and are never decrypted.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar
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

if TYPE_CHECKING:
    # routes builds its calls with this module's helpers: only type checkers read this import.
    from .routes import Call

T = TypeVar("T")
Timeout = float | tuple[float, float]
"""Seconds: one number for both connecting and reading, or ``(connect, read)``."""

USER_AGENT = "payment-service-python-sdk/0.1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# Retries of a write back off exponentially from this delay, up to the cap (seconds).
RETRY_BASE_S = 0.5
RETRY_MAX_S = 8.0
# `body` of a request that has none (None is a JSON value: null).
NO_BODY: Any = object()


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
        self.max_retries = check_retries(max_retries)
        self.host = check_host(host)
        self.cipher = Cipher(key, iv)  # raises ValueError on an unusable key or IV
        self.timeout = timeout
        self._owns_session = session is None
        self.session = session if session is not None else requests.Session()
        self.headers = {"User-Agent": USER_AGENT, **(headers or {})}

    def close(self) -> None:
        """Close the HTTP session, unless the caller passed in their own."""
        if self._owns_session:
            self.session.close()

    def run(self, call: Call[T]) -> T:
        """Send one `Call` of `routes`: its body encrypted (when it has one), the answer
        decrypted and parsed.

        A write (a call with an idempotency key) whose failure `is_retryable` is retried up
        to `max_retries` times with the same key, after a backoff with jitter.
        """
        if call.idempotency_key is None:
            response = self.send(call.method, call.path, status=call.status, body=call.body)
        else:
            response = self._send_idempotent(call, call.idempotency_key)
        return read_answer(
            self.cipher,
            call.method,
            call.path,
            call.parse,
            response.status_code,
            response.content,
            response.text,
        )

    def _send_idempotent(self, call: Call[Any], key: str) -> requests.Response:
        headers = {IDEMPOTENCY_HEADER: key}
        attempt = 0
        while True:
            try:
                return self.send(
                    call.method, call.path, status=call.status, body=call.body, headers=headers
                )
            except (PaymentError, TransportError) as error:
                delay = retry_delay(attempt, self.max_retries, error)
                if delay is None:
                    raise
                time.sleep(delay)
                attempt += 1

    def send(
        self,
        method: str,
        path: str,
        *,
        status: int,
        body: Any = NO_BODY,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Send one request and return the response when its status means success.

        Raises `PaymentError` (by status) for error answers and `TransportError` when no
        answer arrives.
        """
        headers, data = request_parts(self.cipher, self.headers, headers, body)
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
        check_status(method, path, status, response.status_code, response.text, response.headers)
        return response


# What the sync and the async connection share: everything but the HTTP library's call.


def check_host(host: str) -> str:
    """The base URL without its trailing slash; ValueError unless http:// or https://."""
    if not host.startswith(("http://", "https://")):
        raise ValueError(f"host must be an http:// or https:// URL, got {host!r}")
    return host.rstrip("/")


def check_retries(max_retries: int) -> int:
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    return max_retries


def request_parts(
    cipher: Cipher,
    base: Mapping[str, str],
    extra: Mapping[str, str] | None,
    body: Any,
) -> tuple[dict[str, str], bytes | None]:
    """The headers and the (encrypted) body of one request."""
    headers = {**base, **(extra or {})}
    if body is NO_BODY:
        return headers, None
    # The server checks the media type token exactly (docs/payment-api.md §1.2).
    headers["Content-Type"] = "text/plain"
    return headers, cipher.encrypt_json(body).encode("ascii")


def check_status(
    method: str, path: str, expected: int, status: int, text: str, headers: Mapping[str, str]
) -> None:
    """Raise the `PaymentError` of an error answer."""
    # The original SDK accepts 200, 201 or the route's own status (docs/payment-api.md §1.4).
    if status not in (200, 201, expected):
        raise error_from_response(status, text, method=method, path=path, headers=headers)


def read_answer(
    cipher: Cipher,
    method: str,
    path: str,
    parse: Callable[[Any], T],
    status: int,
    content: bytes,
    text: str,
) -> T:
    """Decrypt a success answer and `parse` its JSON; `InvalidResponse` when either fails."""
    try:
        value = cipher.decrypt_json(content)
    except DecryptionError:
        raise InvalidResponse(
            f"{method} {path}: the answer does not decrypt with this client's key/IV",
            status=status,
            text=text,
        ) from None
    try:
        return parse(value)
    except (ValueError, TypeError) as error:
        raise InvalidResponse(
            f"{method} {path}: unexpected answer: {error}", status=status, text=text
        ) from None


def retry_delay(attempt: int, max_retries: int, error: Exception) -> float | None:
    """Seconds to wait before retrying a write after `error` (attempt number `attempt` + 1),
    or None when it must not be retried."""
    if attempt >= max_retries or not is_retryable(error):
        return None
    return _backoff(attempt, error)


def _backoff(attempt: int, error: Exception) -> float:
    """Seconds before retry number `attempt` + 1: exponential, with jitter so that clients
    failed by one incident do not all come back at once; at least what Retry-After asks."""
    delay = min(RETRY_BASE_S * 2.0**attempt, RETRY_MAX_S) * random.uniform(0.5, 1.0)
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
