"""Charging saved cards through the API (`POST /payments/reservations/{id}/charges`), end to
end against the fakes of iamport, Toss and PortOne, on both databases: paid and webhooked like
an approved payment, declined with the gateway's code and nothing recorded, gateway failures
mapped with nothing half-written, and a retry after an unknown outcome that never charges
twice."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import timedelta

import pytest
import requests

from payment_service.client import (
    Conflict,
    Forbidden,
    GatewayError,
    NotFound,
    ServerError,
    TransportError,
    Unprocessable,
)
from payment_service.crypto import Cipher
from payment_service.db import PaymentHistory as StoredHistory
from payment_service.db import PaymentHistoryClaim, PaymentHistoryWebhook
from payment_service.testing import PaymentBackend
from payment_service.vendors import GatewayClient
from tests.e2e.conftest import PASSWORD, count, new_source, send_encrypted
from tests.support.clients import Flavour, connect
from tests.support.dropping_proxy import DroppingProxy

from .conftest import CHARGE_PATHS, PRICE, STORES, Saved, nothing_charged, sync_only


def test_a_charge_is_paid_stored_and_webhooked(saved: Saved):
    order = new_source()
    history = saved.charge(order)
    assert history.vendor_code == saved.code
    assert (history.vendor.code, history.vendor.store_id) == (saved.code, STORES[saved.code])
    assert history.vendor.uid and not history.vendor.uid.startswith("charge:")
    assert history.source.id == order["id"]
    assert (history.price, history.currency, history.refund) == (PRICE, "KRW", None)
    assert history.paid_at is not None and not history.cancels
    # Stored, encrypted, and readable with the reservation's password like any payment.
    assert saved.client.histories.at(history.id, password=PASSWORD).raw == history.raw
    assert saved.client.histories.get(source=order, password=PASSWORD).raw == history.raw
    webhook = saved.receiver.wait_for(lambda hook: hook.current.id == history.id)
    assert webhook.previous.paid_at is None and webhook.current.raw == history.raw
    assert saved.charges_at_fake == 1
    assert count(saved.backend, PaymentHistoryClaim) == 0
    # Refundable like any payment.
    refunded = saved.client.histories.cancel(
        source=order, password=PASSWORD, price=PRICE, reason="cancelled plan"
    )
    assert refunded.refund == PRICE


def test_the_same_order_is_charged_once(saved: Saved):
    order = new_source()
    saved.charge(order)
    with pytest.raises(Conflict):
        saved.charge(order)
    assert saved.charges_at_fake == 1
    assert count(saved.backend, StoredHistory) == 1


def test_a_declined_charge_is_422_with_the_gateway_code_and_records_nothing(saved: Saved):
    saved.backend.customer.decline_charges(saved.code, saved.billing_key)
    order = new_source()
    with pytest.raises(Unprocessable) as caught:
        saved.charge(order)
    body = caught.value.body
    assert body["declined"] is True and body["vendor"] == saved.code
    assert body["code"] and body["message"]
    assert nothing_charged(saved.backend)
    assert saved.receiver.received == []
    # The next charge of the order goes through (the decline switch was for one charge).
    history = saved.charge(order)
    assert history.paid_at is not None
    assert saved.charges_at_fake == 2


def test_wrong_password_is_403_and_changes_nothing(saved: Saved):
    with pytest.raises(Forbidden):
        saved.charge(password="wrong")
    assert nothing_charged(saved.backend)
    assert saved.charges_at_fake == 0


def test_an_unknown_reservation_is_404(backend, client, receiver):
    saved = Saved(backend, client, receiver, "iamport", str(uuid.uuid4()), "none")
    with pytest.raises(NotFound):
        saved.charge()
    assert nothing_charged(backend)


def test_a_vendor_whose_plugin_cannot_charge_is_422(saved: Saved, monkeypatch):
    vendor = saved.backend.runtime.vendors.get(saved.code)
    monkeypatch.setattr(vendor, "charger", lambda **_: None)
    with pytest.raises(Unprocessable) as caught:
        saved.charge()
    assert "cannot charge saved cards" in caught.value.body["message"]
    assert nothing_charged(saved.backend)
    assert saved.charges_at_fake == 0


# -- the gateway failing ---------------------------------------------------------------------


def gateway_client(backend: PaymentBackend, code: str) -> GatewayClient:
    """The HTTP client through which the server talks to this vendor's gateway."""
    inner = backend.runtime.vendors.get(code).inner
    found = getattr(inner, "client", None) or inner.api.client
    assert isinstance(found, GatewayClient)
    return found


@contextmanager
def gateway_at(backend: PaymentBackend, code: str, url: str, timeout_s: float | None = None):
    client = gateway_client(backend, code)
    saved = (client.base_url, client.timeout_s)
    client.base_url = url.rstrip("/")
    if timeout_s is not None:
        client.timeout_s = timeout_s
    try:
        yield
    finally:
        client.base_url, client.timeout_s = saved


@contextmanager
def silent_peer() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def dead_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def raw_charge(saved: Saved, order: dict[str, str], key: str) -> requests.Response:
    """The charge sent once, without the SDK's retries."""
    backend = saved.backend
    body = {
        "password": PASSWORD,
        "source": order,
        "price": int(PRICE),
        "title": "monthly plan",
        "webhook_url": saved.receiver.url,
    }
    return requests.post(
        f"{backend.url}/payments/reservations/{saved.id}/charges",
        data=Cipher(backend.key, backend.iv).encrypt(json.dumps(body)),
        headers={"Content-Type": "text/plain", "Idempotency-Key": key},
        timeout=30,
    )


@sync_only
def test_a_gateway_that_is_down_is_503_and_nothing_is_recorded(saved: Saved):
    order = new_source()
    with gateway_at(saved.backend, saved.code, dead_url()):
        answer = raw_charge(saved, order, "down-1")
    assert answer.status_code == 503
    assert count(saved.backend, StoredHistory) == 0
    assert count(saved.backend, PaymentHistoryWebhook) == 0
    assert saved.charges_at_fake == 0
    # Retried with the same key once the gateway is back: charged once.
    answer = raw_charge(saved, order, "down-1")
    assert answer.status_code == 201
    assert saved.charges_at_fake == 1
    assert count(saved.backend, StoredHistory) == 1
    assert count(saved.backend, PaymentHistoryClaim) == 0


@sync_only
def test_a_gateway_that_times_out_is_504_and_nothing_is_recorded(saved: Saved):
    order = new_source()
    with silent_peer() as url, gateway_at(saved.backend, saved.code, url, timeout_s=0.5):
        answer = raw_charge(saved, order, "slow-1")
    assert answer.status_code == 504
    assert count(saved.backend, StoredHistory) == 0
    assert count(saved.backend, PaymentHistoryWebhook) == 0
    answer = raw_charge(saved, order, "slow-1")
    assert answer.status_code == 201
    assert saved.charges_at_fake == 1


@sync_only
def test_a_retry_after_a_lost_answer_never_charges_twice(saved: Saved):
    """The gateway charged, but its answer never reached the server: the retry with the same
    Idempotency-Key settles the charge from the gateway instead of charging again."""
    order = new_source()
    fake = saved.backend.fakes.by_code(saved.code)
    with DroppingProxy(fake.url, drop_first=1, matching=CHARGE_PATHS[saved.code]) as proxy:
        with gateway_at(saved.backend, saved.code, proxy.url):
            first = raw_charge(saved, order, "lost-1")
        assert first.status_code in (502, 503, 504)
        assert saved.charges_at_fake == 1
        assert count(saved.backend, StoredHistory) == 0
    # The housekeeping (its janitor re-checks abandoned registrations) leaves the charge's
    # claim alone: the gateway knows a charge by its order, and the retry settles it.
    later = saved.backend.clock.now()
    for hours in (1, 2, 3):
        saved.backend.run_housekeeping(now=later + timedelta(hours=hours))
    assert count(saved.backend, PaymentHistoryClaim) == 1
    second = raw_charge(saved, order, "lost-1")
    assert second.status_code == 201
    assert saved.charges_at_fake == 1
    assert count(saved.backend, StoredHistory) == 1
    history = saved.client.histories.get(source=order, password=PASSWORD)
    assert history.paid_at is not None and history.price == PRICE
    # A replay of the same key answers the same payment again, charging nothing.
    assert raw_charge(saved, order, "lost-1").status_code == 201
    assert saved.charges_at_fake == 1


def test_the_sdk_retries_a_failed_charge_with_its_key(saved: Saved, flavour: Flavour):
    order = new_source()
    backend = saved.backend
    once = connect(flavour, backend.url, backend.key, backend.iv, max_retries=0)
    failing = gateway_at(backend, saved.code, dead_url())
    with once, failing, pytest.raises((GatewayError, ServerError, TransportError)):
        once.reservations.charge(
            saved.id,
            password=PASSWORD,
            source=order,
            price=PRICE,
            title="monthly plan",
            webhook_url=saved.receiver.url,
            idempotency_key="sdk-1",
        )
    history = saved.charge(order, idempotency_key="sdk-1")
    assert history.paid_at is not None
    assert saved.charges_at_fake == 1


def test_the_sdk_retries_a_charge_whose_answer_was_lost(saved: Saved, flavour: Flavour):
    """The network drops the server's answer to the charge: the SDK sends it again with the
    same Idempotency-Key by itself, and the card is charged once."""
    backend = saved.backend
    order = new_source()
    with (
        DroppingProxy(backend.url, drop_first=1, matching="/charges") as proxy,
        connect(flavour, proxy.url, backend.key, backend.iv) as client,
    ):
        history = replace(saved, client=client).charge(order)
        assert proxy.requests == 2
    assert history.paid_at is not None and history.source.id == order["id"]
    assert saved.charges_at_fake == 1
    assert count(backend, StoredHistory) == 1


@sync_only
@pytest.mark.parametrize(
    "change",
    [
        {"source": {"schema": "s", "table": "t", "id": "not-a-uuid"}},
        {"price": -1},
        {"webhook_url": "not a url"},
        {"title": None},
    ],
)
def test_bad_input_is_400_and_charges_nothing(saved: Saved, change):
    body = {
        "password": PASSWORD,
        "source": new_source(),
        "price": 9900,
        "title": "monthly plan",
        "webhook_url": saved.receiver.url,
        **change,
    }
    answer = send_encrypted(
        saved.backend, "POST", f"/payments/reservations/{saved.id}/charges", json.dumps(body)
    )
    assert answer.status_code == 400
    assert nothing_charged(saved.backend)
    assert saved.charges_at_fake == 0
