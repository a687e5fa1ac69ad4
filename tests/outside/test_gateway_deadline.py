"""Every gateway call has an overall deadline: connect and the whole answer (issue #12, item 2).

A per-read timeout never ends a call to a server that trickles a byte every second; these
servers are real sockets."""

from __future__ import annotations

import socket
import time

import pytest

from payment_service.vendors import GatewayClient, GatewayTimeout

from .peers import GatewayStandIn

pytestmark = pytest.mark.realtime  # gateways that really trickle, hang or never read

DEADLINE_S = 1.5


def timed_call(url: str) -> tuple[Exception | None, float]:
    client = GatewayClient("stand-in", url, DEADLINE_S)
    started = time.monotonic()
    try:
        client.call("POST", "/v1/payments/key/cancel", body={"cancelAmount": 1000})
    except Exception as error:
        return error, time.monotonic() - started
    return None, time.monotonic() - started


@pytest.mark.parametrize("mode", ["trickle", "hang"])
def test_a_trickling_or_hanging_gateway_ends_at_the_deadline_with_504(mode):
    with GatewayStandIn() as gateway:
        gateway.mode, gateway.trickle_s = mode, 0.5
        error, seconds = timed_call(gateway.url)
    assert isinstance(error, GatewayTimeout)
    assert error.status == 504
    assert "within 1.5s" in error.message
    assert DEADLINE_S - 0.1 <= seconds < DEADLINE_S + 1


def test_a_server_that_accepts_but_never_reads_ends_at_the_deadline():
    with socket.create_server(("127.0.0.1", 0), backlog=1) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        error, seconds = timed_call(url)
    assert isinstance(error, GatewayTimeout)
    assert seconds < DEADLINE_S + 1


def test_a_prompt_gateway_is_answered_and_the_connection_reused():
    with GatewayStandIn() as gateway:
        client = GatewayClient("stand-in", gateway.url, DEADLINE_S)
        assert client.call("GET", "/v1/payments/key") == {"ok": True}
        gateway.trickle_s, gateway.mode = 0.3, "trickle"
        with pytest.raises(GatewayTimeout):
            client.call("GET", "/v1/payments/key")
        gateway.mode = "pass"
        # The call after a cut-off one starts afresh, with its own full deadline.
        assert client.call("GET", "/v1/payments/key") == {"ok": True}
