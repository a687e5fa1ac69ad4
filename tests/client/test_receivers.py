"""The webhook receivers of client/examples (Flask, Starlette, FastAPI, Django), each served on
a real socket and given real deliveries by a served instance that signs them: a payment's
change arrives verified and decoded, once; a forged or unsigned delivery is refused."""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import queue
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import requests
import uvicorn
from payment_service_client import (
    PaymentClient,
    PaymentWebhook,
    WebhookVerifier,
    generate_webhook_secret,
    sign_webhook,
)

from fake_servers.common.server import ServerThread
from payment_service.testing import PaymentBackend
from tests.support.servers import wait_until

EXAMPLES = Path(__file__).resolve().parents[2] / "client" / "examples"
SECRET = generate_webhook_secret()
PASSWORD = "a-long-random-record-password"
WSGI = ("flask_receiver", "django_receiver")
ASGI = ("starlette_receiver", "fastapi_receiver")


@functools.cache
def example(name: str) -> ModuleType:
    """The example module, imported once (Django's settings name it as the URL conf)."""
    module_name = f"client_examples_{name}"
    spec = importlib.util.spec_from_file_location(module_name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


@contextmanager
def served_asgi(app: Any) -> Iterator[str]:
    """`app` under uvicorn on a free port, from a thread of this process."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started or not thread.is_alive())
        assert server.started, "uvicorn did not start"
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@contextmanager
def served_receiver(name: str, verifier: WebhookVerifier) -> Iterator[tuple[str, queue.Queue]]:
    """The example `name`'s app, served, and the queue its handler puts webhooks into."""
    received: queue.Queue[PaymentWebhook] = queue.Queue()
    module = example(name)
    if name in WSGI:
        with ServerThread(module.create_app(verifier, received.put), quiet=True) as thread:
            yield thread.url + "/payments/webhook", received
        return

    async def handle(webhook: PaymentWebhook) -> None:
        received.put(webhook)

    with served_asgi(module.create_app(verifier, handle)) as url:
        yield url + "/payments/webhook", received


@pytest.fixture(scope="module")
def signing_backend() -> Iterator[PaymentBackend]:
    with PaymentBackend(environ={"PAYMENT_WEBHOOK_SIGNING_SECRET": SECRET}) as backend:
        yield backend


def source() -> dict[str, str]:
    return {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}


@pytest.mark.parametrize("name", [*WSGI, *ASGI])
def test_a_real_delivery_arrives_verified_and_decoded_once(
    signing_backend: PaymentBackend, name: str
) -> None:
    backend = signing_backend
    verifier = WebhookVerifier(backend.key, backend.iv, secrets=[SECRET])
    order = source()
    uid = backend.customer.pay_iamport_card(20000, order["id"])
    with (
        served_receiver(name, verifier) as (url, received),
        PaymentClient(backend.url, backend.key, backend.iv) as client,
    ):
        history = client.histories.create(
            vendor={"code": "iamport", "uid": uid, "store_id": "store"},
            source=order,
            price=20000,
            password=PASSWORD,
            webhook_url=url,
        )
        client.histories.cancel(source=order, password=PASSWORD, price=5000, reason="r")
        webhook = wait_for(received, lambda hook: hook.current.refund is not None)

    assert webhook.source.id == order["id"]
    assert webhook.current.id == history.id
    assert str(webhook.current.refund) == "5000"


def wait_for(
    received: queue.Queue[PaymentWebhook], predicate: Callable[[PaymentWebhook], bool]
) -> PaymentWebhook:
    while True:
        # A delivery leaves as soon as its change commits; 30 s means it never will.
        webhook = received.get(timeout=30)
        if predicate(webhook):
            return webhook


@pytest.mark.parametrize("name", [*WSGI, *ASGI])
def test_forged_unsigned_and_undecodable_deliveries_are_refused(
    signing_backend: PaymentBackend, name: str
) -> None:
    backend = signing_backend
    verifier = WebhookVerifier(backend.key, backend.iv, secrets=[SECRET])
    body = backend.settings.keys.connection.encrypt_json(
        {"id": str(uuid.uuid4()), "source": source(), "previous": {}, "current": {}}
    )
    now = int(time.time())
    forged = sign_webhook(generate_webhook_secret(), "evt_1", now, body)
    undecodable = "bm90IGEgd2ViaG9vaw=="
    with served_receiver(name, verifier) as (url, received):

        def post(data: str, headers: dict[str, str]) -> int:
            sent = {"Content-Type": "text/plain", **headers}
            return requests.post(url, data=data, headers=sent, timeout=10).status_code

        assert post(body, forged) == 401
        assert post(body, {}) == 401
        assert post(undecodable, sign_webhook(SECRET, "evt_2", now, undecodable)) == 400
    assert received.empty()


def test_the_verifier_never_shows_its_secrets() -> None:
    verifier = WebhookVerifier("k" * 16, "i" * 16, secrets=SECRET)
    assert SECRET not in repr(verifier) and "k" * 16 not in repr(verifier)
    assert asyncio.iscoroutinefunction(verifier.starlette)
