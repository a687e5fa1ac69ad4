"""HTTP, encryption and error mapping shared by every call of the SDK (spec §1).

Encrypted routes take a ``text/plain`` body holding the base64 AES ciphertext of the JSON
input and answer the same way; errors come back as plain JSON and are never decrypted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote

import requests

from ..crypto import Cipher, DecryptionError
from .errors import (
    InvalidResponse,
    TransportError,
    TransportTimeout,
    error_from_response,
)

T = TypeVar("T")
Timeout = float | tuple[float, float]
"""Seconds: one number for both connecting and reading, or ``(connect, read)``."""

USER_AGENT = "payment-service-python-sdk/0.1"
_NO_BODY: Any = object()


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
    ):
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
    ) -> T:
        """Send `body` encrypted (when given), decrypt the answer and `parse` its JSON."""
        response = self.send(method, path, status=status, body=body)
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

    def send(
        self, method: str, path: str, *, status: int, body: Any = _NO_BODY
    ) -> requests.Response:
        """Send one request and return the response when its status means success.

        Raises `PaymentError` (by status) for error answers and `TransportError` when no
        answer arrives.
        """
        headers = dict(self.headers)
        data: bytes | None = None
        if body is not _NO_BODY:
            # The server checks the media type token exactly (spec §1.2).
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
        # The original SDK accepts 200, 201 or the route's own status (spec §1.4).
        if response.status_code not in (200, 201, status):
            raise error_from_response(
                response.status_code,
                response.text,
                method=method,
                path=path,
                headers=response.headers,
            )
        return response


def path_id(value: object) -> str:
    """A record id as a path segment, percent-encoded like JavaScript's encodeURIComponent."""
    text = str(value)
    if not text:
        raise ValueError("id must not be empty")
    return quote(text, safe="-_.!~*'()")
