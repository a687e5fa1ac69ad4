"""client.monitors: R1 (plain), R2 and R3 (encrypted GET, no request body)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from payment_service.client import ServerError
from payment_service.testing import PaymentBackend

from .stub import Reply, StubServer
from .test_transport import closed_port
from .wire import IV, KEY

SYSTEM = {
    "uid": "0b8e1f3a-7c55-4a43-9d1e-6f2a0c9b8d7e",
    "arguments": ["node", "lib/executable/server"],
    "package": {"name": "@samchon/payment-backend", "version": "9.0.0"},
    "commit": {"shortHash": "abc1234", "branch": "master", "tags": []},
    "created_at": "2024-05-01T03:04:05.678Z",
}
PERFORMANCE = {
    "cpu": {"user": 1200, "system": 300},
    "memory": {"rss": 1, "heapTotal": 2, "heapUsed": 3, "external": 4, "arrayBuffers": 5},
    "resource": {"userCPUTime": 1200, "maxRSS": 40000},
}


def test_health_is_a_get_without_body_or_content_type(client, stub: StubServer) -> None:
    stub.on("GET", "/monitors/health", Reply(200))

    assert client.monitors.health() is None

    assert (stub.last.method, stub.last.path, stub.last.body) == ("GET", "/monitors/health", "")
    assert "Content-Type" not in stub.last.headers


def test_health_raises_when_the_server_is_not_ready(client, stub: StubServer) -> None:
    stub.on("GET", "/monitors/health", Reply.nest(500, "database down"))

    with pytest.raises(ServerError):
        client.monitors.health()
    assert client.monitors.is_healthy() is False


def test_is_healthy_is_false_when_nothing_listens(connect) -> None:
    with connect(f"http://127.0.0.1:{closed_port()}", KEY, IV, timeout=1.0) as client:
        assert client.monitors.is_healthy() is False


def test_the_real_servers_monitors_parse(backend: PaymentBackend, connect) -> None:
    with connect(backend.url, KEY, IV) as client:
        assert client.monitors.is_healthy() is True
        system = client.monitors.system()
        performance = client.monitors.performance()
        plugins = client.monitors.plugins()
        webhooks = client.monitors.webhooks()

    assert system.package["name"] == "payment-service"
    assert system.created_at.tzinfo is not None
    assert performance.memory["rss"] > 0
    by_code = {plugin.code: plugin for plugin in plugins}
    assert {"iamport", "toss.payments", "portone"} <= set(by_code)
    assert by_code["iamport"].distribution == "payment-vendor-iamport"
    assert by_code["iamport"].webhook.startswith("/payments/webhooks/")
    assert min(webhooks.pending, webhooks.delivered, webhooks.failed) >= 0
    assert (webhooks.oldest_pending_at is None) == (webhooks.pending == 0)


def test_system_decrypts_and_parses(client, stub: StubServer) -> None:
    stub.on("GET", "/monitors/system", Reply.encrypted(SYSTEM))

    system = client.monitors.system()

    assert "Content-Type" not in stub.last.headers
    assert system.uid == SYSTEM["uid"]
    assert system.arguments == ("node", "lib/executable/server")
    assert system.package["version"] == "9.0.0"
    assert system.commit == SYSTEM["commit"]
    assert system.created_at == datetime(2024, 5, 1, 3, 4, 5, 678000, tzinfo=UTC)
    assert system.raw == SYSTEM


def test_system_without_git_metadata_has_commit_none(client, stub: StubServer) -> None:
    stub.on("GET", "/monitors/system", Reply.encrypted({**SYSTEM, "commit": None}))

    assert client.monitors.system().commit is None


def test_performance_decrypts_and_parses(client, stub: StubServer) -> None:
    stub.on("GET", "/monitors/performance", Reply.encrypted(PERFORMANCE))

    performance = client.monitors.performance()

    assert (stub.last.method, stub.last.path) == ("GET", "/monitors/performance")
    assert performance.cpu == {"user": 1200, "system": 300}
    assert performance.memory["heapUsed"] == 3
    assert performance.resource["maxRSS"] == 40000
