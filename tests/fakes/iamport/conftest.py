"""One fake iamport for the whole session, emptied before every test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_servers.iamport import FakeIamport

from .helpers import IamportClient


@pytest.fixture(scope="session")
def server() -> Iterator[FakeIamport]:
    with FakeIamport() as fake:
        yield fake


@pytest.fixture
def fake(server: FakeIamport) -> Iterator[FakeIamport]:
    server.reset()
    server.set_expiration(seconds=180, capacity=1000)
    server.webhook_url = None
    yield server
    server.drain_webhooks()


@pytest.fixture
def api(fake: FakeIamport) -> IamportClient:
    return IamportClient(fake.url)
