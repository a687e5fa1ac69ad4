"""Overall deadlines for calls to the outside world, and the socket shutdown that enforces them.

A socket timeout bounds each socket operation, not the call: a server that trickles one
byte every few seconds never trips it and can hold a call open indefinitely. Here a deadline
set for the whole call (connect, send, status line, headers, body) shuts down the sockets the
call uses when it passes; the blocked read returns at once and the call fails with
`DeadlineExceeded`. One thread keeps every call's deadline.

Shutting down a duplicate of the descriptor (rather than closing the socket) is safe while
another thread is blocked on it: the socket stops, the descriptor stays valid until its owner
closes it.
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests.utils
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger(__name__)


def shut_down(fileno: int | None) -> bool:
    """Shut down the socket behind descriptor `fileno` (both directions); False if gone."""
    if fileno is None or fileno < 0:
        return False
    try:
        duplicate = socket.socket(fileno=os.dup(fileno))
    except OSError:
        return False
    try:
        duplicate.shutdown(socket.SHUT_RDWR)
        return True
    except OSError:
        return False
    finally:
        duplicate.close()


class _Call:
    """One call under a deadline: the sockets it touched, and whether time ran out."""

    def __init__(self) -> None:
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()

    def watch(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets.append(sock)
            expired = self.expired
        if expired:
            _shut(sock)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shut(sock)


class Watch:
    """One deadline being kept: `abort` is called once it passes, unless cancelled first.
    `fired` tells, once the watched work ended, whether it was cut off."""

    __slots__ = ("abort", "cancelled", "deadline", "fired")

    def __init__(self, deadline: float, abort: Callable[[], None]):
        self.deadline, self.abort = deadline, abort
        self.fired = self.cancelled = False

    def __lt__(self, other: Watch) -> bool:
        return self.deadline < other.deadline


class DeadlineKeeper:
    """Every deadline of a process, kept by one thread: the webhook sender's attempts, the
    gateway calls and the database's units of work. A thread per deadline would do the same,
    but starting a thread waits until it runs (milliseconds on a busy machine, before every
    request) and costs more CPU than the rest of a gateway call's own work.

    Deadlines wait in a heap; a cancelled one stays in it (cancelling is a flag, not a search)
    until it comes to the top, where it is dropped without being waited for. The thread sleeps
    until the earliest deadline and is woken only when a new one comes first. Whichever comes
    first under the lock, the cancel or the deadline, wins.
    """

    def __init__(self) -> None:
        self._watches: list[Watch] = []
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def watch(self, deadline: float, abort: Callable[[], None]) -> Watch:
        """Call `abort` at `deadline` (a `time.monotonic()` instant) unless cancelled first."""
        watch = Watch(deadline, abort)
        with self._changed:
            heapq.heappush(self._watches, watch)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif self._watches[0] is watch:
                self._changed.notify()  # an earlier deadline than the one slept towards
        return watch

    def cancel(self, watch: Watch) -> None:
        with self._changed:
            watch.cancelled = True

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._watches and self._watches[0].cancelled:
                    heapq.heappop(self._watches)
                if not self._watches:
                    self._changed.wait()
                    continue
                left = self._watches[0].deadline - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                watch = heapq.heappop(self._watches)
                watch.fired = True
            watch.abort()


_KEEPER = DeadlineKeeper()


def keeper() -> DeadlineKeeper:
    """This process's deadline keeper."""
    return _KEEPER


def _reset_after_fork() -> None:
    # A forked child has no keeper thread, and its lock may have been held by it at the fork.
    global _KEEPER
    _KEEPER = DeadlineKeeper()


os.register_at_fork(after_in_child=_reset_after_fork)


def _shut(sock: socket.socket) -> None:
    shut_down(sock.fileno())  # -1 once closed: nothing to do


_current = threading.local()


def _watch(sock: Any) -> None:
    call: _Call | None = getattr(_current, "call", None)
    if call is not None:
        call.watch(sock)


class _WatchedHTTPConnection(HTTPConnection):
    """A connection whose socket the current call's deadline may shut down."""

    def connect(self) -> None:
        super().connect()
        _watch(self.sock)

    def request(self, *args: Any, **kwargs: Any) -> None:
        # A kept-alive connection is reused without connect(): watch it for this call too.
        _watch(self.sock)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(_WatchedHTTPConnection, HTTPSConnection):
    """The same for TLS: the MRO runs HTTPSConnection's connect() inside the watching one."""


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


@dataclass(frozen=True)
class Answer:
    """An HTTP answer, read whole."""

    status_code: int
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        """The body as text, in the charset its Content-Type names (UTF-8 if none)."""
        charset = "utf-8"
        for part in self.headers.get("Content-Type", "").split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                charset = value.strip('"')
        try:
            return self.content.decode(charset, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class CallFailed(Exception):
    """The call got no answer: the peer could not be reached, or broke the exchange off."""


class CallTimedOut(CallFailed):
    """The call got no answer in time (connecting, or waiting for the peer)."""


class DeadlineExceeded(CallTimedOut):
    """The call did not complete within its overall deadline."""


DEFAULT_HEADERS = {
    "User-Agent": "payment-service",
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
}


class DeadlineSession:
    """Pooled, kept-alive HTTP connections (urllib3) whose `request_within` bounds the whole
    call.

    A gateway's API needs nothing of a browser-like client: no cookies are kept, and a
    redirect is never followed, so the call's credentials go nowhere but where they were sent.
    TLS is verified against certifi's bundle, or the one `REQUESTS_CA_BUNDLE` or
    `CURL_CA_BUNDLE` names. The proxy variables (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`,
    `NO_PROXY`) are read once per origin: a process's environment does not change.
    """

    def __init__(self) -> None:
        bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        bundle = bundle or certifi.where()
        self._tls: dict[str, Any] = {"cert_reqs": "CERT_REQUIRED"}
        self._tls["ca_cert_dir" if os.path.isdir(bundle) else "ca_certs"] = bundle
        self._direct = self._watched(urllib3.PoolManager(num_pools=10, maxsize=10, **self._tls))
        self._managers: dict[str, urllib3.PoolManager] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _watched(manager: urllib3.PoolManager) -> urllib3.PoolManager:
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        return manager

    def _manager_for(self, url: str) -> urllib3.PoolManager:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        manager = self._managers.get(origin)
        if manager is None:
            proxies = requests.utils.get_environ_proxies(origin)
            proxy = proxies.get(parts.scheme) or proxies.get("all")
            with self._lock:
                manager = self._managers.get(origin)
                if manager is None:
                    manager = self._direct
                    if proxy:
                        proxied = urllib3.ProxyManager(proxy, num_pools=10, maxsize=10, **self._tls)
                        manager = self._watched(proxied)
                    self._managers[origin] = manager
        return manager

    def request_within(
        self,
        seconds: float,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """Send one request; return its answer (body read) or raise, within `seconds`,
        whatever the peer.

        Raises `DeadlineExceeded` when time runs out, `CallTimedOut` when connecting or a read
        timed out, `CallFailed` for any other failure to get an answer.
        """
        sent = {**DEFAULT_HEADERS, **(headers or {})}
        manager = self._manager_for(url)
        call = _Call()
        _current.call = call
        started = time.monotonic()
        deadlines = keeper()
        watch = deadlines.watch(started + seconds, call.expire)
        try:
            # The body is read within urlopen (preload_content), under the deadline.
            response = manager.urlopen(
                method,
                url,
                body=data,
                headers=sent,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
                retries=False,
                redirect=False,
                preload_content=True,
            )
            return Answer(response.status, response.headers, response.data)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if call.expired or time.monotonic() - started >= seconds:
                raise DeadlineExceeded(f"no complete answer within {seconds:g}s") from error
            # (A refused connection is a kind of connect timeout to urllib3: not to us.)
            if isinstance(error, urllib3.exceptions.TimeoutError) and not isinstance(
                error, urllib3.exceptions.NewConnectionError
            ):
                raise CallTimedOut(str(error)) from error
            raise CallFailed(f"{type(error).__name__}: {error}") from error
        finally:
            deadlines.cancel(watch)
            _current.call = None
