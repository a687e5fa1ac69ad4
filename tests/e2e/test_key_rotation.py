"""Rotating the connection key, on the wire: a client on the old key and one on the new key are
both served; webhooks go out with the new key; failures stay one uniform 400."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
import requests

from payment_service import key_usage
from payment_service.client import PaymentClient
from payment_service.crypto import Cipher, DecryptionError
from payment_service.testing import PaymentBackend, WebhookReceiver
from payment_service.transport import DECRYPT_FAILED
from tests.client.samples import WEBHOOK_ID, webhook_payload
from tests.support.backends import KINDS, SharedBackends, opened
from tests.support.payments import register

from .conftest import send_text

OLD = ("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7")  # what clients hold today
NEW = ("Xq8vT2mR6kP0wZ4nB7cY1hL5sJ9dF3gA", "u7Hc2Kp9Wm4Rz6Tb")
STRANGER = ("0123456789abcdef0123456789abcdef", "fedcba9876543210")
PASSWORD = "rotation-password"


def rotation_environ() -> dict[str, str]:
    """The server half-way through a rotation: the new pair is current, the old one previous."""
    return {
        "PAYMENT_CONNECTION_ENCRYPTION_KEY": NEW[0],
        "PAYMENT_CONNECTION_ENCRYPTION_IV": NEW[1],
        "PAYMENT_CONNECTION_PREVIOUS_KEYS": json.dumps([{"key": OLD[0], "iv": OLD[1]}]),
        "PAYMENT_WEBHOOK_RETRY_BASE_S": "0.2",
        "PAYMENT_WEBHOOK_POLL_S": "0.2",
    }


@pytest.fixture(scope="module")
def rotating_backends(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SharedBackends]:
    yield from opened(tmp_path_factory, rotation_environ())


@pytest.fixture(params=KINDS)
def backend(request: pytest.FixtureRequest, rotating_backends: SharedBackends) -> PaymentBackend:
    """A server mid-rotation on this database kind, shared by the module, empty."""
    return rotating_backends.empty(request.param)


def pay(backend: PaymentBackend, client: PaymentClient, webhook_url: str) -> dict[str, str]:
    source = {"schema": "shop", "table": "orders", "id": str(uuid.uuid4())}
    key = backend.customer.pay_toss_card(20000, source["id"])
    register(
        client, ("toss.payments", "store", key), source, password=PASSWORD, webhook_url=webhook_url
    )
    return source


def test_clients_on_the_old_and_the_new_key_are_both_served(backend):
    receiver = backend.webhook_receiver()
    before = key_usage.counts()
    with (
        PaymentClient(backend.url, *OLD) as old_client,
        PaymentClient(backend.url, *NEW) as new_client,
    ):
        old_source = pay(backend, old_client, receiver.url)
        new_source = pay(backend, new_client, receiver.url)

        # Each reads both records: the answer comes in the pair the request used.
        for client in (old_client, new_client):
            for source in (old_source, new_source):
                history = client.histories.get(source=source, password=PASSWORD)
                assert history.source.id == source["id"]
                assert history.price == 20000
        refunded = old_client.histories.cancel(
            source=new_source, password=PASSWORD, price=5000, reason="stock"
        )
        assert refunded.refund == 5000

    after = key_usage.counts()
    used = {
        generation: after.get(("connection", generation), 0)
        - before.get(("connection", generation), 0)
        for generation in ("current", "previous-1")
    }
    assert used == {"current": 3, "previous-1": 4}


def test_the_answer_is_encrypted_with_the_pair_of_the_request(backend):
    customer_key = str(uuid.uuid4())
    source = {"schema": "shop", "table": "cards", "id": customer_key}
    with PaymentClient(backend.url, *NEW) as new_client:
        new_client.reservations.create(
            vendor={
                "code": "toss.payments",
                "store_id": "store",
                "uid": backend.customer.register_toss_billing(customer_key),
            },
            source=source,
            title="card",
            password=PASSWORD,
        )
    for pair, other in ((OLD, NEW), (NEW, OLD)):
        response = requests.patch(
            f"{backend.url}/payments/reservations/get",
            data=Cipher(*pair).encrypt(json.dumps({**source, "password": PASSWORD})),
            headers={"Content-Type": "text/plain"},
            timeout=10,
        )
        assert response.status_code == 200
        assert json.loads(Cipher(*pair).decrypt(response.text))["title"] == "card"
        with pytest.raises(DecryptionError):
            Cipher(*other).decrypt_json(response.text)


@pytest.mark.parametrize(
    "body",
    [
        Cipher(*STRANGER).encrypt('{"password":"x"}'),
        Cipher(OLD[0], NEW[1]).encrypt('{"password":"x"}'),  # a key of one pair, IV of another
        Cipher(*NEW).encrypt("not json"),
        Cipher(*OLD).encrypt("not json"),
        "not base64!",
    ],
    ids=["unknown-pair", "mixed-pair", "new-not-json", "old-not-json", "not-base64"],
)
def test_a_body_no_pair_decrypts_gets_the_one_uniform_400(backend, body):
    response = send_text(backend, "PATCH", f"/payments/histories/{uuid.uuid4()}", body)
    assert response.status_code == 400
    assert response.json() == {"statusCode": 400, "message": DECRYPT_FAILED, "error": "Bad Request"}


def test_webhooks_go_out_with_the_current_pair(backend):
    new_only = WebhookReceiver(*NEW).start()
    old_only = WebhookReceiver(*OLD).start()
    try:
        with PaymentClient(backend.url, *OLD) as old_client:
            for receiver in (new_only, old_only):
                source = pay(backend, old_client, receiver.url)
                old_client.histories.cancel(
                    source=source, password=PASSWORD, price=1000, reason="r"
                )
        webhook = new_only.wait_for(lambda w: w.current.refund == 1000)
        assert webhook.previous.refund is None
        # A receiver that only knows the old pair cannot read them (it answers 400).
        old_only.wait_for_attempts(1)
        assert old_only.received == []
    finally:
        new_only.stop()
        old_only.stop()


def test_the_backend_receiver_accepts_both_pairs(backend):
    receiver = backend.webhook_receiver()
    assert receiver.previous_keys == [OLD]

    def post(pair: tuple[str, str]) -> int:
        body = Cipher(*pair).encrypt_json(webhook_payload())
        headers = {"Content-Type": "text/plain"}
        return requests.post(receiver.url, data=body, headers=headers, timeout=10).status_code

    assert [post(OLD), post(NEW), post(STRANGER)] == [201, 201, 400]
    assert [w.id for w in receiver.received] == [WEBHOOK_ID, WEBHOOK_ID]
