"""One delivery attempt on the wire, bounded in time and memory whatever the receiver does.

* **One deadline for the whole attempt** (resolve, connect, TLS, send, status line, headers,
  body), not a timeout per read: a receiver that answers one byte every few seconds is cut off
  when the deadline passes, by the process's deadline keeper (`deadlines.keeper`), which shuts
  the socket down. The host name is resolved on a resolver thread the attempt waits for only
  until its deadline (`url_policy.lookup`).
* **The answer is streamed and capped**: the first `MAX_STORED_BODY` bytes are kept for the
  attempt's record, the rest is never read (the connection is closed instead).
* **The address is checked at connect time** (`url_policy.AddressPolicy`), and the socket is
  opened to exactly the address that passed, never re-resolved.
* **Redirects are never followed**: a 3xx is just an unsuccessful answer.

The standard library's `http.client` does the HTTP: it lets the connect step be replaced and
reads exactly what it is asked to, which is all this needs.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import time
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import certifi

from ..deadlines import keeper
from .url_policy import AddressPolicy, AddressRefused, url_problem

MAX_STORED_BODY = 64 * 1024
_CHUNK = 16 * 1024
MAX_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Attempt:
    """What one attempt produced. `permanent`: retrying cannot help (the URL or its address is
    refused), so the webhook fails now instead of being retried until its deadline."""

    status: int | None
    body: str | None
    error: str | None
    duration_ms: int
    permanent: bool = False

    @property
    def succeeded(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def storable(text: str) -> str:
    """Text a receiver sent, made safe for any database column (PostgreSQL refuses NUL)."""
    return text.replace("\x00", "\ufffd")


class _Guarded:
    """Mixin for http.client connections: policy-checked connect, and an abort for the
    deadline keeper."""

    policy: AddressPolicy
    deadline: float
    host: str
    port: int
    sock: Any

    def _guarded_connect(self, address: tuple[str, int], *_: Any, **__: Any) -> socket.socket:
        host, port = address
        last: OSError | None = None
        # Resolved within the attempt's deadline too (getaddrinfo itself cannot be cut off).
        addresses = self.policy.resolve(host, port, self.deadline - time.monotonic())
        for family, ip in addresses:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                break
            sock = socket.socket(family, socket.SOCK_STREAM)
            sock.settimeout(remaining)
            self._raw = sock
            try:
                sock.connect((ip, port))
            except OSError as error:
                sock.close()
                last = error
                continue
            return sock
        raise last or TimeoutError("no address could be reached before the deadline")

    def abort(self) -> None:
        """Called by the deadline keeper: wake any blocked read or write, which then fails."""
        for sock in (getattr(self, "sock", None), getattr(self, "_raw", None)):
            if sock is None:
                continue
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _HTTPConnection(_Guarded, http.client.HTTPConnection):
    def __init__(self, host: str, port: int, policy: AddressPolicy, deadline: float):
        super().__init__(host, port, timeout=max(deadline - time.monotonic(), 0.001))
        self.policy, self.deadline = policy, deadline
        self._create_connection = self._guarded_connect  # type: ignore[assignment]


class _HTTPSConnection(_Guarded, http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, policy: AddressPolicy, deadline: float):
        super().__init__(
            host,
            port,
            timeout=max(deadline - time.monotonic(), 0.001),
            context=_tls_context(),
        )
        self.policy, self.deadline = policy, deadline
        self._create_connection = self._guarded_connect  # type: ignore[assignment]


@cache
def _tls_context() -> ssl.SSLContext:
    """Certificate checks as the rest of the server makes them (requests' CA bundle rules):
    REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE when set, else certifi's bundle."""
    cafile = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    return ssl.create_default_context(cafile=cafile or certifi.where())


def post(
    url: str, body: bytes, headers: dict[str, str], *, policy: AddressPolicy, timeout_s: float
) -> Attempt:
    """POST `body` to `url` within `timeout_s` seconds overall."""
    started = time.monotonic()
    deadline = started + timeout_s

    def elapsed_ms() -> int:
        return int((time.monotonic() - started) * 1000)

    problem = url_problem(url)
    if problem:
        return Attempt(None, None, f"invalid webhook_url: {problem}", 0, permanent=True)
    parts = urlsplit(url)
    secure = parts.scheme.lower() == "https"
    port = parts.port or (443 if secure else 80)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection_class = _HTTPSConnection if secure else _HTTPConnection
    connection = connection_class(parts.hostname or "", port, policy, deadline)
    deadlines = keeper()
    watch = deadlines.watch(deadline, connection.abort)
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        kept = _read_capped(response)
        status = response.status
    except AddressRefused as error:
        return Attempt(None, None, _short(f"refused: {error}"), elapsed_ms(), permanent=True)
    except (OSError, http.client.HTTPException, ValueError) as error:
        if time.monotonic() >= deadline or watch.fired:
            reason = f"no complete answer within {timeout_s:g} s (deadline of one attempt)"
        else:
            reason = f"{type(error).__name__}: {error}"
        return Attempt(None, None, _short(reason), elapsed_ms())
    finally:
        deadlines.cancel(watch)
        connection.close()
    text = storable(kept.decode("utf-8", errors="replace"))
    error = None
    if not 200 <= status < 300:
        error = f"HTTP {status}"
        if 300 <= status < 400:
            error += " (redirects are not followed)"
    return Attempt(status, text, error, elapsed_ms())


def _read_capped(response: http.client.HTTPResponse) -> bytes:
    """The first MAX_STORED_BODY bytes of the answer; the rest is left unread."""
    kept = bytearray()
    while len(kept) < MAX_STORED_BODY:
        chunk = response.read(min(_CHUNK, MAX_STORED_BODY - len(kept)))
        if not chunk:
            break
        kept += chunk
    return bytes(kept)


def _short(text: str) -> str:
    return storable(text)[:MAX_ERROR_LENGTH]
