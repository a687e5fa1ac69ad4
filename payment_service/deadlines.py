"""Overall deadlines for calls to the outside world, and the socket shutdown that enforces them.

A `requests` timeout bounds each socket operation, not the call: a server that trickles one
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
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

log = logging.getLogger(__name__)


class DeadlineExceeded(requests.Timeout):
    """The call did not complete within its overall deadline."""


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


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


class DeadlineSession(requests.Session):
    """A `requests.Session` whose `request_within` bounds the whole call.

    `request_within` prepares the request and hands it to the transport adapter itself: a
    gateway's API needs none of what `Session.request` adds around that (cookies kept from
    earlier answers, redirects followed, hooks), and a redirect is never followed, so the
    call's `Authorization` goes nowhere but where it was sent. The environment is read once,
    not per call (`requests` would look up the proxy variables, the CA bundle variables and
    `~/.netrc` again for every request, although a process's environment does not change):
    proxies (`HTTPS_PROXY`, `NO_PROXY`, ...) are resolved once per origin, and `~/.netrc` is
    never used, since every call carries its own `Authorization` (which a matching entry
    would replace).
    """

    def __init__(self) -> None:
        super().__init__()
        self.mount("http://", _DeadlineAdapter())
        self.mount("https://", _DeadlineAdapter())
        self.trust_env = False
        self.verify = (
            os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        )
        self._proxies: dict[str, dict[str, str]] = {}

    def _proxies_for(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        found = self._proxies.get(origin)
        if found is None:
            found = self._proxies[origin] = requests.utils.get_environ_proxies(origin)
        return found

    def request_within(
        self,
        seconds: float,
        method: str,
        url: str,
        *,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        """Send one request; return its answer (body read) or raise, within `seconds`,
        whatever the peer.

        Raises `DeadlineExceeded` (a `requests.Timeout`) when time runs out.
        """
        sent = CaseInsensitiveDict(self.headers)
        sent.update(headers or {})
        prepared = requests.Request(method, url, data=data, headers=sent).prepare()
        call = _Call()
        _current.call = call
        started = time.monotonic()
        deadlines = keeper()
        watch = deadlines.watch(started + seconds, call.expire)
        try:
            response = self.get_adapter(url).send(
                prepared,
                stream=True,
                timeout=(seconds, seconds),
                verify=self.verify,
                proxies=self._proxies_for(url),
            )
            # The body is read here, explicitly under the deadline.
            response.content  # noqa: B018
            return response
        except requests.RequestException as error:
            if call.expired or time.monotonic() - started >= seconds:
                raise DeadlineExceeded(f"no complete answer within {seconds:g}s") from error
            raise
        finally:
            deadlines.cancel(watch)
            _current.call = None
