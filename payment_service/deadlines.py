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
import itertools
import logging
import os
import socket
import threading
import time
from typing import Any

import requests
from requests.adapters import HTTPAdapter
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
        self.finished = False
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


class _Keeper:
    """Every call's deadline, kept by one thread: a timer thread per call cost more CPU than
    the rest of a gateway call's own work.

    Deadlines wait in a heap; a finished call stays in it (nothing to cancel) until it comes
    to the top, where it is dropped without being waited for. The thread sleeps until the
    earliest deadline and is woken only when a new call's deadline comes first.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # After a fork the parent's thread is gone and its lock may be held: start afresh.
        self._heap: list[tuple[float, int, _Call]] = []
        self._changed = threading.Condition()
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, call: _Call, seconds: float) -> None:
        entry = (time.monotonic() + seconds, next(self._order), call)
        with self._changed:
            heapq.heappush(self._heap, entry)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            elif self._heap[0] is entry:
                self._changed.notify()

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._heap and self._heap[0][2].finished:
                    heapq.heappop(self._heap)
                if not self._heap:
                    self._changed.wait()
                    continue
                deadline, _, call = self._heap[0]
                left = deadline - time.monotonic()
                if left > 0:
                    self._changed.wait(left)
                    continue
                heapq.heappop(self._heap)
            if not call.finished:
                call.expire()


_KEEPER = _Keeper()


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
    """A `requests.Session` whose `request_within` bounds the whole call."""

    def __init__(self) -> None:
        super().__init__()
        self.mount("http://", _DeadlineAdapter())
        self.mount("https://", _DeadlineAdapter())

    def request_within(
        self, seconds: float, method: str, url: str, **kwargs: Any
    ) -> requests.Response:
        """`request()` that returns (body read) or raises within `seconds`, whatever the peer.

        Raises `DeadlineExceeded` (a `requests.Timeout`) when time runs out.
        """
        call = _Call()
        _current.call = call
        started = time.monotonic()
        _KEEPER.arm(call, seconds)
        try:
            response = self.request(method, url, timeout=(seconds, seconds), stream=True, **kwargs)
            # The body is read here, explicitly under the deadline.
            response.content  # noqa: B018
            return response
        except requests.RequestException as error:
            if call.expired or time.monotonic() - started >= seconds:
                raise DeadlineExceeded(f"no complete answer within {seconds:g}s") from error
            raise
        finally:
            call.finished = True
            _current.call = None
