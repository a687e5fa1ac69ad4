"""The real server (one `PaymentBackend` per session) for what it can answer; one stub server
per test session, reset for every test, and a client pointed at it, for the rest. Every test
that takes `client` or `connect` runs twice: with `PaymentClient` and `AsyncPaymentClient`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import pytest

from fake_servers.common.server import ServerThread
from payment_service.testing import PaymentBackend
from tests.support.clients import FLAVOURS, Flavour
from tests.support.clients import connect as connect_with

from .stub import StubServer
from .wire import IV, KEY


@pytest.fixture(scope="session")
def backend() -> Iterator[PaymentBackend]:
    with PaymentBackend() as backend:
        yield backend


@pytest.fixture(scope="session")
def _stub_thread() -> Iterator[tuple[StubServer, ServerThread]]:
    stub = StubServer()
    with ServerThread(stub.app) as thread:
        yield stub, thread


@pytest.fixture
def stub(_stub_thread: tuple[StubServer, ServerThread]) -> Iterator[StubServer]:
    server, _ = _stub_thread
    server.reset()
    yield server
    server.reset()


@pytest.fixture
def stub_url(_stub_thread: tuple[StubServer, ServerThread]) -> str:
    return _stub_thread[1].url


@pytest.fixture(params=FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Flavour:
    return request.param


@pytest.fixture
def connect(flavour: Flavour) -> Callable[..., Any]:
    """`connect(host, key, iv, **options)`: a client of this test's flavour."""
    return partial(connect_with, flavour)


@pytest.fixture
def client(stub: StubServer, stub_url: str, connect: Callable[..., Any]) -> Iterator[Any]:
    with connect(stub_url, KEY, IV, timeout=5.0) as client:
        yield client
