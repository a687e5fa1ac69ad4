"""Receivers that try to hurt the sender, as real servers on the wire: one that trickles a byte
every second, one that answers 512 MB, one that redirects, and addresses the policy refuses.
Each attempt ends by its deadline, reads at most 64 KB, follows nothing, and a refused address
fails the webhook at once (recorded, not retried forever). On SQLite and PostgreSQL."""

from __future__ import annotations

import resource
import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from payment_service.app import create_runtime
from payment_service.delivery.dispatcher import MAX_STORED_BODY, Dispatcher
from payment_service.testing import WebhookReceiver
from tests.secret_keys import secret_keys_env
from tests.support.servers import accepting

from .conftest import delivery_settings, seed
from .test_delivery import responses, wait_until, webhook_row

pytestmark = pytest.mark.realtime  # receivers that really trickle or stall

Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """A TCP server on a free port whose every connection is handed to `handler` (raw bytes,
    so it can misbehave in ways no HTTP framework allows). Counts connections in flight."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.connections = 0
        self.in_flight = 0
        self.most_in_flight = 0
        self.sent = 0
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        accepting(self.listener, self.stopped, self._serve).start()

    def _serve(self, connection: socket.socket) -> None:
        with self.lock:
            self.connections += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            _read_request(connection)
            self.handler(connection, self)
        except OSError:
            pass  # the sender hung up: exactly what these tests expect it to do
        finally:
            with self.lock:
                self.in_flight -= 1
            connection.close()

    def send(self, connection: socket.socket, data: bytes) -> None:
        connection.sendall(data)
        with self.lock:
            self.sent += len(data)

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


def _read_request(connection: socket.socket) -> None:
    """Read the request head and its Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            return
        body += chunk


TRICKLE_S = 1.0


def trickle(connection: socket.socket, server: RawServer) -> None:
    """One byte a second, forever: each read succeeds well within any per-read timeout."""
    for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10_000:
        if server.stopped.is_set():
            return
        server.send(connection, bytes([byte]))
        time.sleep(TRICKLE_S)


BIG = 512 * 1024 * 1024


def huge(connection: socket.socket, server: RawServer) -> None:
    """A 512 MB answer, produced as it is read (the server itself holds 64 KB at a time)."""
    server.send(connection, b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % BIG)
    chunk = b"z" * 65536
    for _ in range(BIG // len(chunk)):
        server.send(connection, chunk)


@pytest.fixture
def servers() -> Iterator[list[RawServer]]:
    started: list[RawServer] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[RawServer], handler: Handler) -> RawServer:
    server = RawServer(handler)
    servers.append(server)
    return server


# -- time ----------------------------------------------------------------------------------


def test_a_trickling_receiver_is_cut_off_at_the_attempt_deadline(database_url, servers):
    # A per-read timeout (3 s) longer than the trickle's interval (1 s) never fires: only an
    # overall deadline ends this attempt.
    runtime = create_runtime(delivery_settings(database_url, PAYMENT_WEBHOOK_TIMEOUT_S="3"))
    slow = start(servers, trickle)
    [[webhook_id]] = seed(runtime, slow.url)
    started = time.monotonic()
    attempt = Dispatcher(runtime).deliver(webhook_id)
    elapsed = time.monotonic() - started
    assert attempt.status is None
    assert "within 3 s" in attempt.error and "deadline" in attempt.error
    assert 2.5 < elapsed < 25  # ended by the 3 s deadline (generous upper bound: loaded machine)
    [recorded] = responses(runtime, webhook_id)
    assert recorded.error == attempt.error
    assert webhook_row(runtime, webhook_id).status == "pending"  # retried later, as any timeout
    runtime.close()


def test_a_slow_receiver_never_occupies_every_delivery_thread(database_url, servers):
    runtime = create_runtime(
        delivery_settings(
            database_url,
            PAYMENT_WEBHOOK_TIMEOUT_S="20",
            PAYMENT_WEBHOOK_WORKERS="4",
            PAYMENT_WEBHOOK_HOST_CONCURRENCY="2",
        )
    )
    slow = start(servers, trickle)
    keys = runtime.settings.keys.connection
    seed(runtime, slow.url, payments=6)  # due first: they would fill all 4 threads
    dispatcher = Dispatcher(runtime)
    with WebhookReceiver(keys.key, keys.iv) as healthy:
        [[healthy_id]] = seed(runtime, healthy.url)
        dispatcher.start()
        try:
            wait_until(lambda: webhook_row(runtime, healthy_id).status == "delivered", 15)
            # Delivered while the slow host's attempts were all still running (20 s deadline).
            assert slow.in_flight == 2
            assert slow.most_in_flight == 2
            assert slow.connections == 2
        finally:
            slow.stop()  # let the in-flight attempts end before the dispatcher is stopped
            dispatcher.stop(timeout=30)
    runtime.close()


# -- memory --------------------------------------------------------------------------------


def test_a_512_mb_answer_is_read_only_up_to_64_kb(database_url, servers):
    runtime = create_runtime(delivery_settings(database_url, PAYMENT_WEBHOOK_TIMEOUT_S="30"))
    big = start(servers, huge)
    [[webhook_id]] = seed(runtime, big.url)
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    attempt = Dispatcher(runtime).deliver(webhook_id)
    peak_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert attempt.status == 200
    [recorded] = responses(runtime, webhook_id)
    assert recorded.body == "z" * MAX_STORED_BODY
    wait_until(lambda: big.in_flight == 0, 30)
    # The sender hung up after 64 KB: the server could push only what socket buffers hold.
    assert big.sent < 64 * 1024 * 1024
    assert peak_after - peak_before < 100 * 1024  # less than 100 MB more, at the very peak
    assert webhook_row(runtime, webhook_id).status == "delivered"
    runtime.close()


def test_an_answer_with_nul_bytes_is_recorded_on_both_databases(database_url, servers):
    def nul(connection: socket.socket, server: RawServer) -> None:
        server.send(connection, b"HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\nab\x00cd")

    runtime = create_runtime(delivery_settings(database_url))
    [[webhook_id]] = seed(runtime, start(servers, nul).url)
    attempt = Dispatcher(runtime).deliver(webhook_id)
    assert (attempt.status, attempt.error) == (500, "HTTP 500")
    [recorded] = responses(runtime, webhook_id)
    assert recorded.body == "ab\ufffdcd"
    runtime.close()


# -- where to -----------------------------------------------------------------------------


def test_redirects_are_never_followed(database_url, servers):
    target = start(servers, lambda c, s: s.send(c, b"HTTP/1.1 201 Created\r\n\r\n"))

    def redirect(connection: socket.socket, server: RawServer) -> None:
        server.send(
            connection,
            b"HTTP/1.1 307 Temporary Redirect\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n"
            % target.url.encode(),
        )

    runtime = create_runtime(delivery_settings(database_url))
    [[webhook_id]] = seed(runtime, start(servers, redirect).url)
    attempt = Dispatcher(runtime).deliver(webhook_id)
    assert attempt.status == 307
    assert attempt.error == "HTTP 307 (redirects are not followed)"
    assert target.connections == 0
    runtime.close()


def dev_runtime(database_url: str, **environ: str):
    return create_runtime(
        delivery_settings(database_url, PAYMENT_MODE="dev", **secret_keys_env(), **environ)
    )


def test_a_host_name_resolving_to_loopback_fails_at_once_in_dev_mode(database_url):
    runtime = dev_runtime(database_url)
    keys = runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        url = receiver.url.replace("127.0.0.1", "localhost")
        [[webhook_id]] = seed(runtime, url)
        assert Dispatcher(runtime).run_once() == 1
        row = webhook_row(runtime, webhook_id)
        assert (row.status, row.attempts) == ("failed", 1)  # not retried for three days
        [recorded] = responses(runtime, webhook_id)
        assert recorded.status is None
        assert recorded.error.startswith("refused: localhost resolves to ")
        assert "PAYMENT_WEBHOOK_ALLOWED_NETWORKS" in recorded.error
        assert receiver.attempts == 0
    runtime.close()


def test_a_listed_host_name_is_trusted_whatever_it_resolves_to(database_url):
    runtime = dev_runtime(database_url, PAYMENT_WEBHOOK_ALLOWED_NETWORKS="localhost")
    keys = runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        [[webhook_id]] = seed(runtime, receiver.url.replace("127.0.0.1", "localhost"))
        Dispatcher(runtime).run_once()
        assert webhook_row(runtime, webhook_id).status == "delivered"
        assert [w.id for w in receiver.received] == [webhook_id]
    runtime.close()


@pytest.mark.parametrize(
    "url", ["http://0x7f000001:{port}/", "http://2130706433:{port}/", "file:///etc/passwd"]
)
def test_a_stored_url_that_is_invalid_fails_at_once_without_a_connection(database_url, url):
    runtime = create_runtime(delivery_settings(database_url))  # local mode: any address
    keys = runtime.settings.keys.connection
    with WebhookReceiver(keys.key, keys.iv) as receiver:
        port = receiver.url.split(":")[2].split("/")[0]
        [[webhook_id]] = seed(runtime, url.format(port=port))
        Dispatcher(runtime).run_once()
        assert webhook_row(runtime, webhook_id).status == "failed"
        [recorded] = responses(runtime, webhook_id)
        assert recorded.error.startswith("invalid webhook_url: ")
        assert receiver.attempts == 0
    runtime.close()
