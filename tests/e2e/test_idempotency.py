"""`Idempotency-Key` on the write routes, through HTTP: a retried request never pays or refunds
twice, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from sqlalchemy import select

from payment_service.client import GatewayError, PaymentClient
from payment_service.crypto import Cipher
from payment_service.db import (
    AuthFailure,
    IdempotencyKey,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryClaim,
)
from payment_service.keyrings import WireKeyring
from payment_service.observability.metrics import REGISTRY
from payment_service.vendors import GatewayTimeout
from tests.secret_keys import secret_value
from tests.support.clients import FLAVOURS, connect
from tests.support.threads import on_threads

from .conftest import PASSWORD, TOSS_STORE, count, new_source

HEADER = "Idempotency-Key"


class Raw:
    """Encrypted requests with headers of our choosing (the SDK always sends its own key)."""

    def __init__(self, backend):
        self.backend = backend
        self.cipher = backend.settings.keys.connection

    def send(self, method: str, path: str, body: Any, key: str | bytes | None):
        headers: dict[str, Any] = {"Content-Type": "text/plain"}
        if key is not None:
            headers[HEADER] = key
        return requests.request(
            method,
            self.backend.url + path,
            data=self.cipher.encrypt_json(body),
            headers=headers,
            timeout=30,
        )

    def decrypt(self, response: requests.Response) -> Any:
        return self.cipher.decrypt_json(response.content)


@pytest.fixture
def raw(backend) -> Raw:
    return Raw(backend)


def create_body(receiver, uid: str, source: dict, price: int = 20000) -> dict[str, Any]:
    return {
        "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": uid},
        "source": source,
        "price": price,
        "password": PASSWORD,
        "webhook_url": receiver.url,
    }


def cancel_body(source: dict, price: int, reason: str = "changed my mind") -> dict[str, Any]:
    return {
        "source": source,
        "password": PASSWORD,
        "price": price,
        "reason": reason,
        "account": None,
    }


@pytest.fixture
def counted(backend) -> Iterator[Callable[[str], list[int]]]:
    """Count the calls the server makes to one operation of the Toss vendor."""
    vendor = backend.runtime.vendors.get("toss.payments")
    patched: list[str] = []

    def count_calls(operation: str) -> list[int]:
        calls: list[int] = []
        real = getattr(vendor, operation)

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            calls.append(1)
            return real(*args, **kwargs)

        setattr(vendor, operation, wrapper)
        patched.append(operation)
        return calls

    yield count_calls
    for operation in patched:
        delattr(vendor, operation)


@pytest.fixture
def paid(backend, raw, receiver) -> dict[str, str]:
    """A registered 20,000 KRW Toss card payment; returns its source."""
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    response = raw.send("POST", "/payments/histories", create_body(receiver, uid, source), None)
    assert response.status_code == 201
    return source


def test_a_replayed_create_answers_the_same_bytes_without_asking_the_gateway(
    backend, raw, receiver, counted
):
    approvals = counted("approve")
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    body = create_body(receiver, uid, source)
    first = raw.send("POST", "/payments/histories", body, "order-1-pay")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    again = raw.send("POST", "/payments/histories", body, "order-1-pay")
    assert again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert raw.decrypt(again)["vendor"]["uid"] == uid
    assert len(approvals) == 1
    assert count(backend, PaymentHistory) == 1


def test_a_keyed_create_loads_its_body_once(backend, raw, receiver, monkeypatch):
    """The idempotency layer loads the body (to refuse a bad one before it touches the key)
    and the route takes that result: with and without a key, one load per request."""
    from marshmallow import Schema

    loads: list[str] = []
    real = Schema.load

    def counted_load(self: Schema, *args: Any, **kwargs: Any) -> Any:
        if type(self).__name__ == "HistoryCreateSchema":
            loads.append(type(self).__name__)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Schema, "load", counted_load)
    for key in ("order-2-pay", None):
        source = new_source()
        uid = backend.customer.pay_toss_card(20000, source["id"])
        response = raw.send("POST", "/payments/histories", create_body(receiver, uid, source), key)
        assert response.status_code == 201
        assert loads == ["HistoryCreateSchema"]
        loads.clear()


def replays(outcome: str) -> float:
    labels = {"route": "PUT /payments/histories/cancel", "outcome": outcome}
    return REGISTRY.get_sample_value("payment_idempotent_requests_total", labels) or 0.0


def test_a_replayed_cancel_refunds_once(backend, raw, paid, counted):
    cancels = counted("cancel")
    body = cancel_body(paid, 1000)
    new, replayed = replays("new"), replays("replayed")
    answers = [raw.send("PUT", "/payments/histories/cancel", body, "refund-42") for _ in range(3)]
    assert (replays("new") - new, replays("replayed") - replayed) == (1, 2)  # metrics
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.content for answer in answers} == {answers[0].content}
    assert [answer.headers.get("Idempotent-Replayed") for answer in answers] == [
        None,
        "true",
        "true",
    ]
    assert Decimal(str(raw.decrypt(answers[2])["refund"])) == 1000
    assert len(cancels) == 1
    assert count(backend, PaymentHistoryCancel) == 1
    toss_payment = backend.toss.payment(raw.decrypt(answers[0])["vendor"]["uid"])
    assert toss_payment["balanceAmount"] == 19000


def test_a_new_key_is_a_new_refund(backend, raw, paid):
    for key in ("refund-a", "refund-b"):
        answer = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key)
        assert answer.status_code == 200
    assert count(backend, PaymentHistoryCancel) == 2


def test_ten_concurrent_cancels_with_one_key_refund_once(backend, raw, paid, counted):
    cancels = counted("cancel")
    body = cancel_body(paid, 3000)
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def cancel() -> None:
        start.wait()
        answer = raw.send("PUT", "/payments/histories/cancel", body, "one-refund")
        with lock:
            answers.append(answer)

    on_threads(10, cancel)
    statuses = sorted(answer.status_code for answer in answers)
    assert len(statuses) == 10
    assert set(statuses) <= {200, 409}
    assert statuses.count(200) >= 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["Retry-After"] == "1"
            assert "still being processed" in answer.json()["message"]
    assert len(cancels) == 1
    assert count(backend, PaymentHistoryCancel) == 1
    history = raw.decrypt(next(a for a in answers if a.status_code == 200))
    assert Decimal(str(history["refund"])) == 3000


def concurrent_creates(raw, body: dict[str, Any], keys: list[str]) -> list[requests.Response]:
    answers: list[requests.Response] = []
    lock = threading.Lock()
    start = threading.Barrier(len(keys))
    pending = list(keys)

    def create() -> None:
        with lock:
            key = pending.pop()
        start.wait()
        answer = raw.send("POST", "/payments/histories", body, key)
        with lock:
            answers.append(answer)

    on_threads(len(keys), create)
    assert len(answers) == len(keys)
    return answers


@pytest.mark.parametrize("keys", ["one key", "a key each"])
def test_ten_concurrent_creates_of_one_payment_approve_it_once(
    backend, raw, receiver, counted, keys
):
    approvals = counted("approve")
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    body = create_body(receiver, uid, source)
    names = ["the-key"] * 10 if keys == "one key" else [f"key-{n}" for n in range(10)]
    answers = concurrent_creates(raw, body, names)
    statuses = sorted(answer.status_code for answer in answers)
    # Whatever the interleaving: one registration, every other request a 409 (the same key in
    # flight, or the payment claimed or recorded by another request), never a second approval.
    assert set(statuses) <= {201, 409}, statuses
    assert statuses.count(201) >= 1
    if keys == "a key each":
        assert statuses.count(201) == 1
    assert len(approvals) == 1
    assert count(backend, PaymentHistory) == 1
    assert count(backend, PaymentHistoryClaim) == 0
    created = {raw.decrypt(a)["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1  # a replay of the one key answers the same payment
    with backend.runtime.database.reading() as session:
        kept = session.scalars(select(IdempotencyKey)).all()
    # Only the request that registered keeps its key, with its answer: a refused one opened
    # no record, so its key is let go (a retry of it is a new request).
    assert [(key.status, key.auth_hash is not None) for key in kept] == [(201, True)]


def test_the_same_key_with_another_body_is_422_and_does_nothing(backend, raw, paid, counted):
    cancels = counted("cancel")
    first = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), "k-1")
    assert first.status_code == 200
    other = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 2000), "k-1")
    assert other.status_code == 422
    assert other.json()["statusCode"] == 422
    assert "different request body" in other.json()["message"]
    assert len(cancels) == 1
    assert count(backend, PaymentHistoryCancel) == 1


def test_keys_are_scoped_per_route(backend, raw, receiver, paid):
    # The same key on another write route is another operation, not a mismatch.
    answer = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), "shared")
    assert answer.status_code == 200
    source = new_source()
    uid = backend.customer.pay_toss_card(5000, source["id"])
    created = raw.send(
        "POST", "/payments/histories", create_body(receiver, uid, source, 5000), "shared"
    )
    assert created.status_code == 201


def test_a_refusal_is_final_and_replayed(backend, raw, paid, counted):
    cancels = counted("cancel")
    too_much = cancel_body(paid, 50000)
    first = raw.send("PUT", "/payments/histories/cancel", too_much, "too-much")
    assert first.status_code == 422
    again = raw.send("PUT", "/payments/histories/cancel", too_much, "too-much")
    assert again.status_code == 422
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert cancels == []


def test_a_validation_error_with_a_key_keeps_no_key(backend, raw, paid):
    bad = {**cancel_body(paid, 1000), "price": "a lot"}
    first = raw.send("PUT", "/payments/histories/cancel", bad, "bad-body")
    assert first.status_code == 400
    assert first.json()["path"] == "$input.price"
    assert count(backend, IdempotencyKey) == 0
    again = raw.send("PUT", "/payments/histories/cancel", bad, "bad-body")
    assert again.status_code == 400
    assert "Idempotent-Replayed" not in again.headers


# --- issue 24 item 1: the key is no password oracle, and refused requests never pin it ---------


def test_a_kept_key_checks_the_password_before_the_body(backend, raw, paid, counted):
    """A stranger with the victim's (guessable) key learns nothing from wrong passwords: 403
    whatever the body, each counted as a failed check; 422 only with the right password."""
    cancels = counted("cancel")
    key = f"refund-{paid['id']}-1"
    first = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key)
    assert first.status_code == 200
    for body in (cancel_body(paid, 1000), cancel_body(paid, 2000), cancel_body(paid, 1)):
        guess = raw.send("PUT", "/payments/histories/cancel", {**body, "password": "guess"}, key)
        assert (guess.status_code, guess.json()["message"]) == (403, "Wrong password.")
        assert "Idempotent-Replayed" not in guess.headers
    assert count(backend, AuthFailure) == 2 * 3  # each guess counts for the client and record
    other = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 2000), key)
    assert other.status_code == 422
    again = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key)
    assert (again.status_code, again.content) == (200, first.content)
    assert len(cancels) == 1


def test_guesses_against_a_kept_key_are_throttled(backend, raw, paid):
    key = f"refund-{paid['id']}-1"
    assert raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key).ok
    guess = {**cancel_body(paid, 1000), "password": "guess"}
    limit = backend.settings.auth_failures_max
    statuses = [
        raw.send("PUT", "/payments/histories/cancel", guess, key).status_code
        for _ in range(limit + 2)
    ]
    assert statuses == [403] * limit + [429, 429]


@pytest.mark.parametrize(
    "junk",
    [
        {"price": "a lot"},  # refused by the schema: 400
        {"password": "not-the-victims"},  # a valid body with a wrong password: 403
        {"source": {"schema": "s", "table": "t", "id": "nowhere"}},  # no such payment: 404
    ],
)
def test_a_strangers_refused_request_does_not_pin_the_victims_key(
    backend, raw, paid, counted, junk
):
    cancels = counted("cancel")
    key = f"refund-{paid['id']}-1"
    stranger = raw.send("PUT", "/payments/histories/cancel", {**cancel_body(paid, 5), **junk}, key)
    assert stranger.status_code in (400, 403, 404)
    assert count(backend, IdempotencyKey) == 0
    victim = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key)
    assert victim.status_code == 200
    assert "Idempotent-Replayed" not in victim.headers
    assert Decimal(str(raw.decrypt(victim)["refund"])) == 1000
    assert len(cancels) == 1


def test_refunds_with_a_cached_password_go_through_a_spent_budget(backend, raw, paid, counted):
    """Issue 24 item 4: every client here is 127.0.0.1 (one NAT). A stranger spends that
    address's budget; the shop, whose password was verified moments ago, still refunds."""
    cancels = counted("cancel")
    assert raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), None).ok
    elsewhere = {**cancel_body(new_source(), 1000), "password": "guess"}
    for _ in range(backend.settings.auth_failures_max):
        assert raw.send("PUT", "/payments/histories/cancel", elsewhere, None).status_code == 404
    assert raw.send("PUT", "/payments/histories/cancel", elsewhere, None).status_code == 429
    again = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), "refund-2")
    assert again.status_code == 200
    assert Decimal(str(raw.decrypt(again)["refund"])) == 2000
    assert len(cancels) == 2


def test_nothing_kept_with_a_key_tests_a_password_faster_than_bcrypt(backend, raw, paid):
    """Issue 24 item 2: the fingerprint is an HMAC under a server secret (not in the database)
    of the body without its password; the only function of the password kept is the record's
    bcrypt hash."""
    body = cancel_body(paid, 1000)
    assert raw.send("PUT", "/payments/histories/cancel", body, "refund-fp").ok
    with backend.runtime.database.reading() as session:
        row = session.scalars(select(IdempotencyKey)).one()
        history = session.scalars(select(PaymentHistory)).one()
    without = {name: value for name, value in body.items() if name != "password"}
    secret = backend.settings.fingerprint_secret
    for canonical in (body, without):  # neither plain digest is what is kept
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row.fingerprint != hashlib.sha256(text.encode()).hexdigest()
    text = json.dumps(without, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert row.fingerprint == hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
    assert (row.auth_record, row.auth_hash) == (history.id, history.password)
    assert row.auth_hash.startswith("$2")


@contextmanager
def connection_pairs(backend, current: Cipher, *previous: Cipher) -> Iterator[None]:
    """The server's connection keyring set to `current` and `previous`, for the block."""
    runtime = backend.runtime
    settings = runtime.settings
    keyring = WireKeyring("connection", current, previous)
    runtime.settings = dataclasses.replace(
        settings, keys=dataclasses.replace(settings.keys, connection=keyring)
    )
    try:
        yield
    finally:
        runtime.settings = settings


def test_a_replay_answers_in_the_pair_the_client_used(backend, raw, paid):
    """Issue 24 item 16: answers are kept as plaintext encrypted at rest, and encrypted for the
    wire at each replay with the pair the replaying request came in, so a replay after a key
    rotation is readable, and a retired pair is never used again."""
    old = backend.settings.keys.connection.current
    new = Cipher(secret_value("rotated-key", 32), secret_value("rotated-iv", 16))
    body = cancel_body(paid, 1000)

    def send(cipher: Cipher) -> requests.Response:
        return requests.put(
            backend.url + "/payments/histories/cancel",
            data=cipher.encrypt_json(body),
            headers={"Content-Type": "text/plain", HEADER: "refund-rotated"},
            timeout=30,
        )

    first = send(old)
    assert first.status_code == 200
    answer = old.decrypt_json(first.content)
    with backend.runtime.database.reading() as session:
        kept = session.scalars(select(IdempotencyKey)).one().response
    assert first.text not in kept and str(answer["id"]) not in kept  # encrypted at rest
    with connection_pairs(backend, new, old):  # rotating: both pairs accepted
        for cipher in (new, old):
            again = send(cipher)
            assert again.headers["Idempotent-Replayed"] == "true"
            assert cipher.decrypt_json(again.content) == answer
    with connection_pairs(backend, new):  # the old pair retired
        again = send(new)
        assert (again.status_code, again.headers["Idempotent-Replayed"]) == (200, "true")
        assert new.decrypt_json(again.content) == answer
        assert send(old).status_code == 400


def test_a_kept_create_is_replayed_only_with_its_password(backend, raw, receiver, counted):
    approvals = counted("approve")
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    body = create_body(receiver, uid, source)
    first = raw.send("POST", "/payments/histories", body, "order-9-pay")
    assert first.status_code == 201
    stolen = raw.send("POST", "/payments/histories", {**body, "password": "guess"}, "order-9-pay")
    assert stolen.status_code == 403
    again = raw.send("POST", "/payments/histories", body, "order-9-pay")
    assert (again.status_code, again.content) == (201, first.content)
    assert len(approvals) == 1


def test_an_undecryptable_body_keeps_no_key(backend, raw, paid):
    answer = requests.put(
        backend.url + "/payments/histories/cancel",
        data="not a ciphertext",
        headers={"Content-Type": "text/plain", HEADER: "garbage"},
        timeout=10,
    )
    assert answer.status_code == 400
    assert count(backend, IdempotencyKey) == 0
    # The key is still free for the real request.
    good = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), "garbage")
    assert good.status_code == 200


def test_a_retry_after_a_gateway_timeout_records_the_payment_once(backend, raw, receiver, counted):
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    vendor = backend.runtime.vendors.get("toss.payments")
    real_approve = vendor.approve
    approvals: list[int] = []

    def approve_then_time_out(*args: Any, **kwargs: Any) -> Any:
        approvals.append(1)
        real_approve(*args, **kwargs)
        raise GatewayTimeout("Toss did not answer in time.", vendor=vendor.code)

    vendor.approve = approve_then_time_out
    body = create_body(receiver, uid, source)
    try:
        first = raw.send("POST", "/payments/histories", body, "pay-after-timeout")
    finally:
        del vendor.approve
    assert first.status_code == 504
    # The timeout is no final answer: the retry with the same key resumes the claim at once
    # (no waiting for the claim to expire) and records the payment approved the first time.
    retry = raw.send("POST", "/payments/histories", body, "pay-after-timeout")
    assert retry.status_code == 201
    assert "Idempotent-Replayed" not in retry.headers
    assert raw.decrypt(retry)["data"]["status"] == "DONE"
    assert count(backend, PaymentHistory) == 1
    assert backend.toss.payment(uid)["status"] == "DONE"
    replay = raw.send("POST", "/payments/histories", body, "pay-after-timeout")
    assert replay.content == retry.content
    assert replay.headers["Idempotent-Replayed"] == "true"


def test_a_key_expires_after_its_ttl_and_is_purged(backend, raw, paid):
    first = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), "old-key")
    assert first.status_code == 200
    runtime = backend.runtime
    real_clock = runtime.clock
    later = real_clock() + timedelta(seconds=runtime.settings.idempotency_ttl_s + 1)
    runtime.clock = lambda: later
    try:
        # Past its TTL the key is forgotten: the same key is a new request.
        again = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 2000), "old-key")
        assert again.status_code == 200
        assert "Idempotent-Replayed" not in again.headers
        assert count(backend, PaymentHistoryCancel) == 2
        expired_later = later + timedelta(seconds=runtime.settings.idempotency_ttl_s + 1)
        assert runtime.idempotency.purge(expired_later) == 1
        assert count(backend, IdempotencyKey) == 0
    finally:
        runtime.clock = real_clock


@pytest.mark.parametrize(
    "key, problem",
    [
        ("", "must not be empty"),
        ("k" * 256, "at most 255 characters"),
        ("키".encode(), "printable ASCII"),
        ("with space", "printable ASCII"),
    ],
)
def test_an_invalid_key_is_400_and_does_nothing(backend, raw, paid, counted, key, problem):
    cancels = counted("cancel")
    answer = raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 1000), key)
    assert answer.status_code == 400
    assert problem in answer.json()["message"]
    assert answer.json()["message"].startswith("The Idempotency-Key header")
    assert cancels == []
    assert count(backend, PaymentHistoryCancel) == 0
    assert count(backend, IdempotencyKey) == 0


def test_a_reservation_create_is_replayed(backend, raw):
    customer_key = str(uuid.uuid4())
    billing_key = backend.customer.register_toss_billing(customer_key)
    body = {
        "vendor": {"code": "toss.payments", "store_id": TOSS_STORE, "uid": billing_key},
        "source": {"schema": "s", "table": "t", "id": customer_key},
        "title": "my card",
        "password": PASSWORD,
    }
    first = raw.send("POST", "/payments/reservations", body, "save-card")
    again = raw.send("POST", "/payments/reservations", body, "save-card")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"


def test_without_a_key_a_repeated_create_is_the_usual_409(backend, raw, receiver):
    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    body = create_body(receiver, uid, source)
    assert raw.send("POST", "/payments/histories", body, None).status_code == 201
    assert raw.send("POST", "/payments/histories", body, None).status_code == 409
    assert count(backend, IdempotencyKey) == 0


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_sdk_retries_a_write_whose_first_answer_was_lost(backend, counted, flavour):
    """The network drops the answer to the first cancel; the SDK (sync or async) retries with
    the same key and the refund still happens once."""
    from tests.support.dropping_proxy import DroppingProxy

    source = new_source()
    uid = backend.customer.pay_toss_card(20000, source["id"])
    with PaymentClient(backend.url, backend.key, backend.iv) as client:
        client.histories.create(
            vendor={"code": "toss.payments", "store_id": TOSS_STORE, "uid": uid},
            source=source,
            price=20000,
            password=PASSWORD,
            webhook_url="http://127.0.0.1:9/unused",
        )
    cancels = counted("cancel")
    with (
        DroppingProxy(backend.url, drop_first=1) as proxy,
        connect(flavour, proxy.url, backend.key, backend.iv) as client,
    ):
        history = client.histories.cancel(source=source, password=PASSWORD, price=4000, reason="r")
        assert proxy.requests == 2
    assert history.refund == Decimal(4000)
    assert len(cancels) == 1
    assert count(backend, PaymentHistoryCancel) == 1
    assert backend.toss.payment(uid)["balanceAmount"] == 16000


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_the_sdk_gives_up_after_max_retries(backend, counted, flavour):
    from tests.support.dropping_proxy import DroppingProxy

    with (
        DroppingProxy(backend.url, drop_first=10) as proxy,
        connect(flavour, proxy.url, backend.key, backend.iv, max_retries=1) as client,
    ):
        with pytest.raises(Exception) as caught:
            client.histories.cancel(source=new_source(), password=PASSWORD, price=1, reason="r")
        assert proxy.requests == 2
    assert not isinstance(caught.value, GatewayError)


def test_the_housekeeper_purges_expired_keys(backend, raw, paid):
    for key in ("a", "b", "c"):
        raw.send("PUT", "/payments/histories/cancel", cancel_body(paid, 100), key)
    assert count(backend, IdempotencyKey) == 3
    runtime = backend.runtime
    almost = runtime.clock() + timedelta(seconds=runtime.settings.idempotency_ttl_s - 60)
    assert backend.run_housekeeping(now=almost)["purge_idempotency_keys"]
    assert count(backend, IdempotencyKey) == 3
    later = runtime.clock() + timedelta(seconds=runtime.settings.idempotency_ttl_s + 1)
    assert backend.run_housekeeping(now=later)["purge_idempotency_keys"]
    assert count(backend, IdempotencyKey) == 0


@pytest.mark.parametrize("refunded_before_timeout", [True, False])
def test_a_retry_after_a_cancel_timeout_refunds_exactly_once(
    backend, raw, paid, refunded_before_timeout
):
    vendor = backend.runtime.vendors.get("toss.payments")
    real_cancel = vendor.cancel
    refunds: list[int] = []
    timing_out = [True]

    def cancel(*args: Any, **kwargs: Any) -> Any:
        if not timing_out[0]:
            refunds.append(1)
            return real_cancel(*args, **kwargs)
        if refunded_before_timeout:
            refunds.append(1)
            real_cancel(*args, **kwargs)
        raise GatewayTimeout("Toss did not answer in time.", vendor=vendor.code)

    body = cancel_body(paid, 1000)
    vendor.cancel = cancel
    try:
        first = raw.send("PUT", "/payments/histories/cancel", body, "refund-timeout")
        timing_out[0] = False
        retry = raw.send("PUT", "/payments/histories/cancel", body, "refund-timeout")
    finally:
        del vendor.cancel
    assert first.status_code == 504
    assert retry.status_code == 200
    history = raw.decrypt(retry)
    assert Decimal(str(history["refund"])) == 1000
    assert len(history["cancels"]) == 1
    assert count(backend, PaymentHistoryCancel) == 1
    assert backend.toss.payment(history["vendor"]["uid"])["balanceAmount"] == 19000
    # One refund reached the gateway: the first attempt's, or else the retry's.
    assert len(refunds) == 1
    replay = raw.send("PUT", "/payments/histories/cancel", body, "refund-timeout")
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.content == retry.content
