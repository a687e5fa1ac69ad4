"""`PaymentClient`: the entry point of the SDK."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .connection import Connection, ConnectionOptions
from .histories import Histories
from .monitors import Monitors
from .reservations import Reservations

if TYPE_CHECKING:
    # typing.Unpack arrived in Python 3.12; only type checkers read it here.
    from typing_extensions import Unpack


class PaymentClient:
    """A client of one payment server.

    Args:
        host: the server's base URL, e.g. ``"http://127.0.0.1:37821"`` (a path prefix is
            kept, a trailing slash is dropped).
        key: the connection encryption key (``PAYMENT_CONNECTION_ENCRYPTION_KEY`` of the
            server), 16, 24 or 32 ASCII characters.
        iv: the connection IV (``PAYMENT_CONNECTION_ENCRYPTION_IV``), 16 ASCII characters.
        timeout: seconds allowed for every call, as one number or ``(connect, read)``
            (default 10).
        session: a `requests.Session` to use (for proxies, TLS settings, mounted adapters);
            the client then leaves closing it to you. By default the client makes its own
            and reuses its connections across calls.
        headers: extra headers sent with every request (e.g. for a gateway in front of
            the server).
        max_retries: how many times a write (create, cancel, reservation) is retried after
            a network error, a 502/503/504, or 409 "still in progress", with exponential
            backoff and jitter. Every write carries an ``Idempotency-Key`` that the retries
            reuse, so the server performs it at most once. 0 turns retries off (default 2).

    The keyword options are typed by `ConnectionOptions`. Route groups: `histories`,
    `reservations`, `monitors`. Use the client as a context manager, or call `close` when
    done. A `requests.Session` is not guaranteed to be thread-safe: prefer one client per
    thread.
    """

    def __init__(self, host: str, key: str, iv: str, **options: Unpack[ConnectionOptions]):
        self.connection = Connection(host, key, iv, **options)
        self.histories = Histories(self.connection)
        self.reservations = Reservations(self.connection)
        self.monitors = Monitors(self.connection)

    @property
    def host(self) -> str:
        return self.connection.host

    def close(self) -> None:
        """Release the HTTP connections (not those of a session passed in by the caller)."""
        self.connection.close()

    def __enter__(self) -> PaymentClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        # Never show the key or IV.
        return f"PaymentClient({self.host!r})"
