"""A webhook target whose name the resolver never resolves: the attempt still ends at its
deadline (issue 24 item 10). `getaddrinfo` cannot be interrupted, so the delivery waits for it
on a resolver thread only until the deadline; a resolver that is stuck for good holds one of a
few resolver threads, never a delivery thread. (The system resolver cannot be pointed at a
silent DNS server from a test, so the stuck resolver is `socket.getaddrinfo` held on an event.)
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from payment_service.delivery import url_policy
from payment_service.delivery.sender import Attempt, post
from payment_service.delivery.url_policy import AddressPolicy

from .test_hostile_receivers import RawServer

STUCK = ".stuck.example"
DEADLINE_S = 0.5
# Far beyond the deadline: an attempt still running then waits on the resolver.
GIVE_UP_S = 30.0
OK = b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n"


@pytest.fixture
def stuck_resolver(monkeypatch) -> Iterator[threading.Event]:
    """Names ending in STUCK are never resolved until the returned event is set."""
    release = threading.Event()
    real = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(STUCK):
            release.wait(GIVE_UP_S * 2)
            raise socket.gaierror(socket.EAI_AGAIN, "resolver gave up")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    try:
        yield release
    finally:
        release.set()


def attempt_on_a_thread(url: str) -> tuple[threading.Thread, dict[str, Attempt]]:
    result: dict[str, Attempt] = {}

    def run() -> None:
        policy = AddressPolicy(allow_all=True)
        result["attempt"] = post(url, b"{}", {}, policy=policy, timeout_s=DEADLINE_S)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, result


def assert_cut_off_at_the_deadline(thread: threading.Thread, result: dict[str, Attempt]) -> None:
    thread.join(GIVE_UP_S)
    assert not thread.is_alive(), "the attempt waited on the resolver past its deadline"
    attempt = result["attempt"]
    assert attempt.status is None and not attempt.permanent  # retried later, like a timeout
    assert attempt.error == f"no complete answer within {DEADLINE_S:g} s (deadline of one attempt)"


def test_an_unanswered_lookup_ends_the_attempt_at_its_deadline(stuck_resolver):
    thread, result = attempt_on_a_thread(f"http://hooks{STUCK}/webhook")
    assert_cut_off_at_the_deadline(thread, result)
    assert not stuck_resolver.is_set()  # the resolver was still stuck when the attempt ended


def test_a_stuck_lookup_does_not_hold_up_other_deliveries(stuck_resolver):
    stuck = [attempt_on_a_thread(f"http://hooks-{n}{STUCK}/webhook") for n in range(3)]
    receiver = RawServer(lambda connection, server: server.send(connection, OK))
    try:
        thread, result = attempt_on_a_thread(receiver.url.replace("127.0.0.1", "localhost"))
        thread.join(GIVE_UP_S)
        assert result["attempt"].succeeded, result["attempt"]
    finally:
        receiver.stop()
    for thread, result in stuck:
        assert_cut_off_at_the_deadline(thread, result)


def test_with_every_resolver_thread_stuck_attempts_still_end_at_their_deadline(stuck_resolver):
    attempts = [
        attempt_on_a_thread(f"http://hooks-{n}{STUCK}/webhook")
        for n in range(url_policy.RESOLVER_THREADS + 2)
    ]
    for thread, result in attempts:
        assert_cut_off_at_the_deadline(thread, result)
