"""The process's deadline keeper, and `DeadlineSession.request_within` on it: a peer that
trickles its answer is cut off at the call's deadline, whatever order the deadlines were set
in; a cancelled deadline never fires; one thread keeps them all."""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from payment_service.deadlines import DeadlineExceeded, DeadlineSession, keeper
from tests.support.servers import accepting

# Deadlines in real seconds are the point; one that is never kept hangs its call, so fail
# soon rather than at the suite's limit.
pytestmark = [pytest.mark.realtime, pytest.mark.timeout(60)]


class Trickler:
    """An HTTP peer on a real socket: `/ok` answers at once; anything else sends its headers,
    then one byte of its promised body every 0.2 s for as long as the client listens."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        self.stopped = threading.Event()
        accepting(self.listener, self.stopped, self._serve).start()

    def _serve(self, conn: socket.socket) -> None:
        with conn:
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = conn.recv(4096)
                if not chunk:
                    return
                request += chunk
            try:
                if request.startswith(b"GET /ok "):
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
                    )
                    return
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
                while not self.stopped.wait(0.2):
                    conn.sendall(b"X")
            except OSError:
                return

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


@pytest.fixture
def peer() -> Iterator[Trickler]:
    peer = Trickler()
    yield peer
    peer.stop()


def timed_call(session: DeadlineSession, url: str, seconds: float) -> tuple[str, float]:
    started = time.monotonic()
    try:
        session.request_within(seconds, "GET", url)
        outcome = "answered"
    except DeadlineExceeded:
        outcome = "deadline"
    return outcome, time.monotonic() - started


def test_a_trickling_peer_is_cut_off_at_the_deadline(peer):
    # The per-read timeout (the deadline too) never trips: a byte comes every 0.2 s.
    outcome, took = timed_call(DeadlineSession(), f"{peer.url}/slow", 1.0)
    assert outcome == "deadline"
    assert 1.0 <= took < 5.0


def test_a_shorter_deadline_set_later_still_ends_first(peer):
    results: dict[str, tuple[str, float]] = {}

    def call(name: str, seconds: float) -> None:
        results[name] = timed_call(DeadlineSession(), f"{peer.url}/slow", seconds)

    long = threading.Thread(target=call, args=("long", 6.0))
    long.start()
    time.sleep(0.3)  # the long deadline is the earliest one kept when the short one comes
    call("short", 0.5)
    assert results["short"][0] == "deadline"
    assert "long" not in results  # the short call did not wait for the long deadline
    long.join()
    assert results["long"][0] == "deadline"


def test_calls_that_finish_in_time_are_answered_and_start_no_threads(peer, monkeypatch):
    session = DeadlineSession()
    session.request_within(5.0, "GET", f"{peer.url}/ok")  # the keeper's thread exists now
    caller = threading.get_ident()
    started_by_calls: list[threading.Thread] = []
    start = threading.Thread.start

    def counted(thread: threading.Thread) -> None:
        if threading.get_ident() == caller:  # not the peer's threads, started by its own
            started_by_calls.append(thread)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", counted)
    outcomes = [timed_call(session, f"{peer.url}/ok", 5.0)[0] for _ in range(50)]
    assert outcomes == ["answered"] * 50
    assert started_by_calls == []
    assert [t.name for t in threading.enumerate()].count("deadlines") == 1


def test_a_deadline_fires_once_it_passes_and_a_cancelled_one_never_does():
    fired = threading.Event()
    cancelled_fired = threading.Event()
    deadlines = keeper()
    kept = deadlines.watch(time.monotonic() + 0.2, fired.set)
    dropped = deadlines.watch(time.monotonic() + 0.1, cancelled_fired.set)
    deadlines.cancel(dropped)
    assert fired.wait(10)
    assert kept.fired and not dropped.fired
    time.sleep(0.2)  # well past the cancelled one's deadline
    assert not cancelled_fired.is_set()


def test_a_forked_child_keeps_its_own_deadlines():
    # The parent's keeper thread runs (gunicorn's master may have used it before forking its
    # workers); the child has none of its threads and must start a keeper of its own.
    started = threading.Event()
    keeper().watch(time.monotonic(), started.set)
    assert started.wait(10)
    child = os.fork()
    if child == 0:  # pragma: no cover (the child reports through its exit status)
        fired = threading.Event()
        keeper().watch(time.monotonic() + 0.05, fired.set)
        os._exit(0 if fired.wait(5) else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
