"""A claim kept after a gateway timeout can only be resumed by its owner (issue #13, item 4):
the same password; the webhook_url the owner sends from then on; anyone else gets 409."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select

from payment_service.crypto import check_password
from payment_service.db import PaymentHistory, PaymentHistoryClaim

from .conftest import PASSWORD, STORE, client_of, status_of


def register(backend, key, source, password, webhook_url) -> int:
    with client_of(backend) as client:
        return status_of(
            lambda: client.histories.create(
                vendor={"code": "toss.payments", "store_id": STORE, "uid": key},
                source=source,
                price=20000,
                password=password,
                webhook_url=webhook_url,
            )
        )


def stored(backend, model):
    with backend.runtime.database.reading() as session:
        return session.scalars(select(model)).all()


def stored_claim(backend) -> PaymentHistoryClaim:
    [claim] = stored(backend, PaymentHistoryClaim)
    assert stored(backend, PaymentHistory) == []  # a claim is no payment yet
    return claim


def age_the_claim(backend) -> None:
    with backend.runtime.database.transaction() as session:
        claim = session.scalars(select(PaymentHistoryClaim)).one()
        claim.created_at -= timedelta(hours=1)


def timed_out_registration(backend, gateway) -> tuple[str, dict[str, str]]:
    """The owner's registration of a new Toss payment, timed out at the gateway: its claim is
    kept. Returns the payment's key and source."""
    order = str(uuid.uuid4())
    key = backend.customer.pay_toss_card(20000, order)
    source = {"schema": "shop", "table": "orders", "id": order}
    gateway.mode = "hang"
    assert register(backend, key, source, PASSWORD, "http://owner.example/hook") == 504
    gateway.mode = "pass"
    return key, source


def test_only_the_owner_resumes_a_claim_kept_after_a_timeout(backend, gateway):
    key, source = timed_out_registration(backend, gateway)
    age_the_claim(backend)
    before = stored_claim(backend)

    # Someone else, with the same source and uid but another password: 409, nothing changes.
    assert register(backend, key, source, "not-the-owner", "http://attacker.example/") == 409
    after = stored_claim(backend)
    assert (after.password, after.webhook_url, after.created_at) == (
        before.password,
        before.webhook_url,
        before.created_at,
    )

    # The owner resumes it, moving its webhooks to a new URL.
    assert (
        register(backend, key, source, PASSWORD, "http://owner.example/new-hook") == 200
    )  # created
    [recorded] = stored(backend, PaymentHistory)
    assert stored(backend, PaymentHistoryClaim) == []
    assert recorded.id == before.id  # the claim became the payment
    assert recorded.confirmed_at is not None
    assert recorded.webhook_url == "http://owner.example/new-hook"
    assert check_password(PASSWORD, recorded.password)
    with client_of(backend) as client:
        assert client.histories.get(source=source, password=PASSWORD).paid_at is not None


def test_a_fresh_claim_is_not_resumed_even_by_its_owner(backend, gateway):
    key, source = timed_out_registration(backend, gateway)
    # Within the claim window the first request may still be running: in progress, 409.
    assert register(backend, key, source, PASSWORD, "http://owner.example/hook") == 409
    assert stored_claim(backend).webhook_url == "http://owner.example/hook"
