"""pytest fixtures for integrators (registered through the `pytest11` entry point).

    def test_checkout(payment_backend, payment_client, payment_webhooks):
        ...

`payment_backend` (one per session): the payment server and the fake gateways in-process on
free ports, with a temporary SQLite database unless `--payment-database-url` names another.
`payment_client`: the SDK pointed at it. `payment_webhooks`: a receiver to give as
`webhook_url`, collecting decrypted webhooks (`wait_for(...)`). `payment_checkout`: browser
tests of a checkout page (Playwright) against the fakes' stand-in SDKs and payment windows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from payment_service_client import PaymentClient

from .backend import PaymentBackend
from .checkout import Checkout
from .customer import Customer
from .receiver import WebhookReceiver


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("payment-service")
    group.addoption(
        "--payment-database-url",
        default=None,
        help="database of the embedded payment server (default: a temporary SQLite file)",
    )


@pytest.fixture(scope="session")
def payment_backend(request: pytest.FixtureRequest) -> Iterator[PaymentBackend]:
    """The payment server and the installed plugins' fake gateways, wired together."""
    database_url = request.config.getoption("--payment-database-url")
    with PaymentBackend(database_url) as backend:
        yield backend


@pytest.fixture
def payment_client(payment_backend: PaymentBackend) -> Iterator[PaymentClient]:
    """The SDK, connected to `payment_backend` with its encryption key."""
    with PaymentClient(payment_backend.url, payment_backend.key, payment_backend.iv) as client:
        yield client


@pytest.fixture
def payment_webhooks(payment_backend: PaymentBackend) -> Iterator[WebhookReceiver]:
    """A fresh webhook receiver for this test; its `url` is the `webhook_url` to register."""
    receiver = WebhookReceiver(
        payment_backend.key, payment_backend.iv, previous_keys=payment_backend.previous_keys
    ).start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture
def payment_customer(payment_backend: PaymentBackend) -> Customer:
    """The customer's side of the checkout popup: pay, deposit, register cards at the fakes."""
    return payment_backend.customer


@pytest.fixture
def payment_checkout(payment_backend: PaymentBackend) -> Checkout:
    """The fakes' checkout windows in a browser test: `serve_scripts(page)` answers the real
    gateway script URLs with the fakes' stand-ins, `complete(page, outcome)` presses a button
    of the payment window the page opened (`outcomes`: pay-card, issue-vbank, decline,
    cancel). Playwright (e.g. `pytest-playwright`) is yours to install."""
    return Checkout(payment_backend.fakes)
