"""Connections: timeouts, refused connections, reuse, sessions, headers, closing."""

from __future__ import annotations

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import httpx
import pytest
import requests
from payment_service_client import (
    AsyncPaymentClient,
    PaymentClient,
    TransportError,
    TransportTimeout,
)

from .samples import SOURCE
from .stub import Reply, StubServer
from .wire import IV, KEY


def closed_port() -> int:
    """A port that nothing listens on (just released by the OS)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_slow_answer_raises_transport_timeout(stub: StubServer, stub_url: str, connect) -> None:
    stub.on("GET", "/monitors/health", Reply(200, delay_s=1.0))

    with (
        connect(stub_url, KEY, IV, timeout=0.2) as client,
        pytest.raises(TransportTimeout) as caught,
    ):
        client.monitors.health()

    assert isinstance(caught.value, TransportError)


def test_the_timeout_applies_to_encrypted_calls_too(
    stub: StubServer, stub_url: str, connect
) -> None:
    stub.on("PATCH", "/payments/histories/get", Reply(200, delay_s=1.0))

    with (
        connect(stub_url, KEY, IV, timeout=(1.0, 0.2)) as client,
        pytest.raises(TransportTimeout),
    ):
        client.histories.get(source=SOURCE, password="p")


def test_a_refused_connection_raises_transport_error(connect) -> None:
    url = f"http://127.0.0.1:{closed_port()}"
    with (
        connect(url, KEY, IV, timeout=2.0) as client,
        pytest.raises(TransportError) as caught,
    ):
        client.histories.get(source=SOURCE, password="p")

    assert not isinstance(caught.value, TransportTimeout)


class _KeepAliveHandler(BaseHTTPRequestHandler):
    # Werkzeug's development server closes every connection, so reuse is observed on a
    # plain HTTP/1.1 server that keeps them open.
    protocol_version = "HTTP/1.1"
    ports: ClassVar[list[int]] = []

    def do_GET(self) -> None:
        self.ports.append(self.client_address[1])
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_calls_reuse_one_connection(connect) -> None:
    _KeepAliveHandler.ports.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _KeepAliveHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with connect(f"http://127.0.0.1:{server.server_port}", KEY, IV) as client:
            for _ in range(3):
                client.monitors.health()
    finally:
        server.shutdown()
        server.server_close()

    assert len(_KeepAliveHandler.ports) == 3
    assert len(set(_KeepAliveHandler.ports)) == 1


def test_a_caller_session_is_used_and_left_open(stub: StubServer, stub_url: str) -> None:
    stub.on("GET", "/monitors/health", Reply(200))
    session = requests.Session()
    session.headers["X-From-Session"] = "yes"

    with PaymentClient(stub_url, KEY, IV, session=session) as client:
        client.monitors.health()

    assert stub.last.headers["X-From-Session"] == "yes"
    # Still usable: the client did not close what it does not own.
    assert session.get(stub_url + "/monitors/health", timeout=5).status_code == 200
    session.close()


def test_close_releases_the_connections(stub: StubServer, stub_url: str) -> None:
    stub.on("GET", "/monitors/health", Reply(200))
    client = PaymentClient(stub_url, KEY, IV)
    client.monitors.health()
    adapter = client.connection.session.get_adapter(stub_url)

    client.close()

    assert adapter.poolmanager.pools._container == {}  # type: ignore[attr-defined]


def test_extra_headers_and_user_agent_are_sent(stub: StubServer, stub_url: str, connect) -> None:
    stub.on("GET", "/monitors/health", Reply(200))

    with connect(stub_url + "/", KEY, IV, headers={"X-Tenant": "shop"}) as client:
        client.monitors.health()

    assert stub.last.path == "/monitors/health"
    assert stub.last.headers["X-Tenant"] == "shop"
    assert stub.last.headers["User-Agent"].startswith("payment-service-python-sdk/")


@pytest.mark.parametrize(
    ("host", "key", "iv"),
    [
        ("127.0.0.1:37821", KEY, IV),
        ("http://127.0.0.1:37821", "short", IV),
        ("http://127.0.0.1:37821", KEY, "short"),
    ],
)
def test_bad_construction_arguments_fail_early(host: str, key: str, iv: str, connect) -> None:
    with pytest.raises(ValueError):
        connect(host, key, iv)


def test_repr_never_shows_the_key(connect) -> None:
    client = connect("http://127.0.0.1:37821", KEY, IV)
    assert KEY not in repr(client) and IV not in repr(client)
    client.close()


def test_a_caller_httpx_client_is_used_and_left_open(stub: StubServer, stub_url: str) -> None:
    stub.on("GET", "/monitors/health", Reply(200))

    async def scenario() -> int:
        async with httpx.AsyncClient(headers={"X-From-Client": "yes"}) as http:
            async with AsyncPaymentClient(stub_url, KEY, IV, client=http) as client:
                await client.monitors.health()
            # Still usable: the client did not close what it does not own.
            return (await http.get(stub_url + "/monitors/health")).status_code

    assert asyncio.run(scenario()) == 200
    assert stub.requests[0].headers["X-From-Client"] == "yes"


def test_aclose_closes_the_async_clients_own_connections(stub_url: str) -> None:
    client = AsyncPaymentClient(stub_url, KEY, IV)
    asyncio.run(client.aclose())
    assert client.connection.client.is_closed


def test_concurrent_async_calls_share_one_client(stub: StubServer, stub_url: str) -> None:
    stub.on("GET", "/monitors/health", Reply(200, delay_s=0.2))

    async def scenario() -> list[bool]:
        async with AsyncPaymentClient(stub_url, KEY, IV) as client:
            return await asyncio.gather(*(client.monitors.is_healthy() for _ in range(5)))

    assert asyncio.run(scenario()) == [True] * 5
    assert len(stub.requests) == 5
