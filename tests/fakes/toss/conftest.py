from __future__ import annotations

from collections.abc import Iterator

import pytest

from fake_servers.toss import DEFAULT_SECRET_KEY, FakeToss

from .support import Receiver, TossClient


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeToss]:
    """One fake for the whole session, on a free port, reset before every test."""
    with FakeToss() as server:
        yield server


@pytest.fixture(autouse=True)
def _fresh_fake(fake: FakeToss) -> Iterator[None]:
    seconds, capacity = fake.expiration.seconds, fake.expiration.capacity
    fake.drain_webhooks()
    fake.reset()
    fake.webhook_url = None
    fake.secret_keys = {DEFAULT_SECRET_KEY}
    yield
    fake.set_expiration(seconds=seconds, capacity=capacity)


@pytest.fixture
def client(fake: FakeToss) -> TossClient:
    return TossClient(fake.url)


@pytest.fixture(scope="session")
def _receiver_server() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


@pytest.fixture
def receiver(_receiver_server: Receiver) -> Receiver:
    """A webhook receiver over real HTTP, emptied for each test."""
    _receiver_server.reset()
    return _receiver_server
