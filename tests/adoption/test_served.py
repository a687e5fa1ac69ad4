"""The adopted database, served by `payment-service serve` (gunicorn, two workers) with the
original's keys: every record answers as the original answered it, and refunds, gateway
webhooks, reconciliation and outgoing webhooks work on adopted records as on our own.

The fakes run in this process, holding the gateway side of the original's payments again (see
`gateways.py`); the service is played by a receiver at the address the original's records
name as their `webhook_url`, as the service that used the original still listens there.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import func, select

from payment_service.crypto import Cipher
from payment_service.db import Database, PaymentHistoryCancel, PaymentHistoryWebhook
from payment_service.testing import GatewayFakes, WebhookReceiver
from tests.support.cli import run_cli
from tests.support.servers import free_port, wait_for_health, wait_until

from .adopted import as_json
from .gateways import put_back
from .original import (
    KEYS,
    SCHEMA,
    SEEDED,
    SEEDED_PASSWORD,
    Original,
    environment,
    execute,
    give_passwords,
    original_database,
    password_of,
    postgres_server,
    process_environment,
    read,
)

REASON = "adopted and refunded"
IAMPORT_ACCOUNT = {
    "bank": "신한은행",
    "account": "110-123-456789",
    "holder": "홍길동",
    "mobile": "010-1234-5678",
}
TOSS_ACCOUNT = {
    "bank": "신한은행",
    "account": "110123456789",
    "holder": "홍길동",
    "mobile": "01012345678",
}


class Wire:
    """The API as the original's SDK calls it: encrypted bodies, answers decrypted to text."""

    def __init__(self, url: str):
        self.url = url
        self.cipher = Cipher(
            KEYS["PAYMENT_CONNECTION_ENCRYPTION_KEY"], KEYS["PAYMENT_CONNECTION_ENCRYPTION_IV"]
        )

    def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, str]:
        response = requests.request(
            method,
            self.url + path,
            data=self.cipher.encrypt(json.dumps(body)),
            headers={"Content-Type": "text/plain"},
            timeout=60,
        )
        if response.ok:
            return response.status_code, self.cipher.decrypt(response.text)
        return response.status_code, response.text

    def history(self, history_id: str, password: str) -> tuple[int, str]:
        return self.call("PATCH", f"/payments/histories/{history_id}", {"password": password})

    def history_by_source(self, source: dict[str, str], password: str) -> tuple[int, str]:
        return self.call("PATCH", "/payments/histories/get", {**source, "password": password})

    def cancel(
        self, source: dict[str, str], password: str, price: int, account: dict[str, str] | None
    ) -> tuple[int, str]:
        body = {
            "source": source,
            "password": password,
            "price": price,
            "reason": REASON,
            "account": account,
        }
        return self.call("PUT", "/payments/histories/cancel", body)


@dataclass
class Served:
    api: str
    database_url: str
    environ: dict[str, str]
    original: Original
    fakes: GatewayFakes
    receiver: WebhookReceiver
    wire: Wire
    undelivered: str
    """A webhook the original never got an answer for."""
    picked: dict[str, str]
    """Histories that tests change, by role; each such test checks its record first."""

    def answer(self, history_id: str) -> dict[str, Any]:
        status, body = self.wire.history(history_id, password_of(history_id))
        assert status == 200, body
        return json.loads(body)

    def webhooks_of(self, history_id: str) -> int:
        database = Database(self.database_url, SCHEMA)
        with database.reading() as session:
            count = session.scalar(
                select(func.count()).where(PaymentHistoryWebhook.payment_history_id == history_id)
            )
        database.dispose()
        return int(count or 0)

    def sequences(self, history_id: str) -> list[int]:
        database = Database(self.database_url, SCHEMA)
        with database.reading() as session:
            found = session.scalars(
                select(PaymentHistoryCancel.sequence)
                .where(PaymentHistoryCancel.payment_history_id == history_id)
                .order_by(PaymentHistoryCancel.sequence)
            ).all()
        database.dispose()
        return list(found)


@contextmanager
def exclusively(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[None]:
    """One test worker at a time (the original's receiver has one fixed address)."""
    lock = Path(tmp_path_factory.getbasetemp()).parent / f"{name}.lock"
    with lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def the_services_receiver(webhook_url: str) -> WebhookReceiver:
    """A receiver at the address of the records' `webhook_url` (the service of the original)."""
    address = urlsplit(webhook_url)
    receiver = WebhookReceiver(
        KEYS["PAYMENT_CONNECTION_ENCRYPTION_KEY"],
        KEYS["PAYMENT_CONNECTION_ENCRYPTION_IV"],
        host=address.hostname or "127.0.0.1",
        port=address.port or 80,
    )
    receiver.app.add_url_rule(
        address.path, "service", receiver.app.view_functions["webhook"], methods=["POST"]
    )

    def started() -> bool:
        try:
            receiver.start()
        except OSError:  # another process may hold the port for a moment (an outgoing connection)
            return False
        return True

    wait_until(started, 30, interval=0.5)
    return receiver


@contextmanager
def serving(url: str, environ: dict[str, str], log: Path) -> Iterator[str]:
    """`payment-service serve` (gunicorn, two workers) on the database at `url`; its URL."""
    port = free_port()
    command = [sys.executable, "-m", "payment_service.cli", "serve", "--port", str(port)]
    with log.open("w") as output:
        # A file, not a pipe that nobody reads: the server's log must never block it.
        process = subprocess.Popen(
            [*command, "--workers", "2"],
            env=process_environment(url, **environ),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            api = f"http://127.0.0.1:{port}"
            wait_for_health(api, process, timeout=120)
            yield api
        finally:
            process.terminate()
            process.wait(timeout=30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with ExitStack() as stack:
        stack.enter_context(exclusively(tmp_path_factory, "adoption-original-receiver"))
        url = stack.enter_context(original_database(postgres_server()))
        give_passwords(url)
        undelivered = sorted(read(url).webhooks)[0]
        execute(
            url,
            "UPDATE payments.payment_history_webhook_responses SET status = NULL, body = NULL "
            "WHERE payment_history_webhook_id = :id",
            id=undelivered,
        )
        original = read(url)
        adopted = run_cli("adopt-original", env=environment(url))
        assert adopted.status == 0, adopted.stderr

        fakes = GatewayFakes("127.0.0.1", 0).start()
        stack.callback(fakes.stop)
        for fake in (fakes.iamport, fakes.toss):
            fake.state.expiration.seconds = 24 * 3600  # the gateway keeps its payments
        put_back(original, fakes.iamport, fakes.toss)
        # (The 30 seeded payments name a receiver that never was: port 9, "discard".)
        [webhook_url] = {
            row["webhook_url"] for id, row in original.histories.items() if id not in SEEDED
        }
        receiver = the_services_receiver(webhook_url)
        stack.callback(receiver.stop)
        environ = environment(url, PAYMENT_VENDORS=json.dumps(fakes.vendor_options()))
        log = tmp_path_factory.mktemp("served") / "serve.log"
        api = stack.enter_context(serving(url, environ, log))
        fakes.point_webhooks_at(api)
        yield Served(
            api=api,
            database_url=url,
            environ=environ,
            original=original,
            fakes=fakes,
            receiver=receiver,
            wire=Wire(api),
            undelivered=undelivered,
            picked=_pick(original),
        )


def _pick(original: Original) -> dict[str, str]:
    picked = {
        "iamport card": original.first("iamport", pay_method="card", status="paid"),
        "iamport vbank": original.first("iamport", pay_method="vbank", status="paid"),
        "toss card": original.first("toss.payments", method="카드", status="DONE"),
        "toss vbank": original.first("toss.payments", method="가상계좌", status="DONE"),
        "iamport refunded": next(
            history_id
            for history_id, row in sorted(original.histories.items())
            if row["vendor_code"] == "iamport" and row["refund"] == row["price"]
        ),
        "iamport with cancels": max(original.cancels, key=lambda h: len(original.cancels[h])),
    }
    picked["toss at the gateway"] = original.first(
        "toss.payments", picked.values(), method="카드", status="DONE"
    )
    picked["iamport at the gateway"] = original.first(
        "iamport", picked.values(), pay_method="card", status="paid"
    )
    assert len(set(picked.values())) == len(picked)
    return picked


def _check_unchanged(served: Served, history_id: str) -> dict[str, Any]:
    """The record answers as the original did, by id and by source; the answer."""
    password = password_of(history_id)
    expected = served.original.history(history_id)
    for status, body in (
        served.wire.history(history_id, password),
        served.wire.history_by_source(served.original.source(history_id), password),
    ):
        assert status == 200, body
        assert json.loads(body) == expected
        # The gateway's record, byte for byte as the original stored it.
        assert f'"data":{served.original.history_data(history_id)},' in body
    return expected


def test_every_history_answers_by_id_and_by_source_as_the_original(served: Served):
    checked = [h for h in sorted(served.original.histories) if h not in served.picked.values()]
    for history_id in checked:
        _check_unchanged(served, history_id)
    assert len(checked) == 47 - len(set(served.picked.values()))
    # The original's own bcrypt hashes open the records with their original passwords.
    assert len(SEEDED & set(checked)) == 30 - len(SEEDED & set(served.picked.values()))


def test_wrong_passwords_and_unknown_records_are_refused_as_the_original_did(served: Served):
    history_id = sorted(SEEDED)[1]

    wrong = served.wire.history(history_id, "not-" + SEEDED_PASSWORD)
    by_source = served.wire.history_by_source(served.original.source(history_id), "wrong")
    unknown = served.wire.history("00000000-0000-4000-8000-000000000000", SEEDED_PASSWORD)

    forbidden = {"message": "Wrong password.", "error": "Forbidden", "statusCode": 403}
    assert (wrong[0], json.loads(wrong[1])) == (403, forbidden)
    assert (by_source[0], json.loads(by_source[1])) == (403, forbidden)
    assert unknown[0] == 404


def test_every_reservation_answers_by_id_and_by_source_as_the_original(served: Served):
    for reservation_id, row in served.original.reservations.items():
        source = {
            "schema": row["source_schema"],
            "table": row["source_table"],
            "id": row["source_id"],
        }
        password = password_of(reservation_id)
        for status, body in (
            served.wire.call(
                "PATCH", f"/payments/reservations/{reservation_id}", {"password": password}
            ),
            served.wire.call(
                "PATCH", "/payments/reservations/get", {**source, "password": password}
            ),
        ):
            assert status == 200, body
            assert json.loads(body) == served.original.reservation(reservation_id)
    assert len(served.original.reservations) == 4


def test_an_adopted_card_payment_is_refunded_in_parts_and_the_service_is_told(served: Served):
    history_id = served.picked["iamport card"]
    before = _check_unchanged(served, history_id)
    source, password = served.original.source(history_id), password_of(history_id)

    status, body = served.wire.cancel(source, password, 5000, None)

    assert status == 200, body
    first = json.loads(body)
    assert [(c["price"], c["reason"], c["created_at"] == c["time"]) for c in first["cancels"]] == [
        (5000, REASON, True)
    ]
    assert (first["price"], first["refund"], first["cancelled_at"] is not None) == (
        20000,
        5000,
        True,
    )
    assert first["data"]["cancel_amount"] == 5000
    unchanged = (
        "id",
        "vendor_code",
        "vendor",
        "source",
        "currency",
        "webhook_url",
        "created_at",
        "paid_at",
    )
    assert {k: first[k] for k in unchanged} == {k: before[k] for k in unchanged}
    told = served.receiver.wait_for(lambda w: w.current.id == history_id, timeout=30)
    assert as_json(told.raw["previous"]) == before  # the original's answer, as the service knew it
    assert as_json(told.raw["current"]) == first

    status, body = served.wire.cancel(source, password, 15000, None)

    assert status == 200, body
    second = json.loads(body)
    assert [c["price"] for c in second["cancels"]] == [5000, 15000]
    assert (second["refund"], second["data"]["status"]) == (20000, "cancelled")
    served.receiver.wait_for(
        lambda w: w.current.id == history_id and w.current.refund == 20000, timeout=30
    )
    assert served.sequences(history_id) == [0, 1]
    assert served.answer(history_id) == second


@pytest.mark.parametrize(
    ("role", "account", "price"),
    [
        ("toss card", None, 20000),
        ("iamport vbank", IAMPORT_ACCOUNT, 19900),
        ("toss vbank", TOSS_ACCOUNT, 19900),
    ],
)
def test_other_adopted_payments_are_refunded_in_full(served: Served, role, account, price):
    history_id = served.picked[role]
    before = _check_unchanged(served, history_id)
    assert before["price"] == price

    status, body = served.wire.cancel(
        served.original.source(history_id), password_of(history_id), price, account
    )

    assert status == 200, body
    after = json.loads(body)
    assert ([c["price"] for c in after["cancels"]], after["refund"]) == ([price], price)
    assert served.answer(history_id) == after
    served.receiver.wait_for(
        lambda w: w.current.id == history_id and w.current.refund == price, timeout=30
    )


def test_refunding_more_than_is_left_is_refused_and_changes_nothing(served: Served):
    history_id = served.picked["iamport refunded"]
    before = _check_unchanged(served, history_id)
    webhooks = served.webhooks_of(history_id)

    status, body = served.wire.cancel(
        served.original.source(history_id), password_of(history_id), 1000, None
    )

    assert 400 <= status < 500, body
    assert json.loads(body)["message"]
    assert served.answer(history_id) == before
    assert served.webhooks_of(history_id) == webhooks


def test_a_gateway_webhook_about_an_adopted_payment_is_recorded_and_forwarded(served: Served):
    history_id = served.picked["toss at the gateway"]
    before = _check_unchanged(served, history_id)
    payment_key = served.original.histories[history_id]["vendor_uid"]

    served.fakes.toss.cancel(payment_key, reason="refunded in the merchant console", amount=5000)

    told = served.receiver.wait_for(lambda w: w.current.id == history_id, timeout=30)
    assert as_json(told.raw["previous"]) == before
    assert (told.current.refund, [c.price for c in told.current.cancels]) == (5000, [5000])
    assert served.answer(history_id) == as_json(told.raw["current"])
    assert served.sequences(history_id) == [0]


def test_a_gateway_webhook_repeating_adopted_cancels_adds_none(served: Served):
    """The gateway lists the refunds the original recorded: none is recorded twice. The one
    change is `cancelled_at`, which the original rewrote at every synchronization and
    payment-service keeps at the first refund's time (docs/adoption.md)."""
    history_id = served.picked["iamport with cancels"]
    before = _check_unchanged(served, history_id)
    cancels = len(served.original.cancels[history_id])
    data = before["data"]

    answer = requests.post(
        f"{served.api}/payments/webhooks/iamport",
        json={
            "imp_uid": data["imp_uid"],
            "merchant_uid": data["merchant_uid"],
            "status": "cancelled",
        },
        timeout=60,
    )

    assert answer.status_code == 201, answer.text
    assert served.sequences(history_id) == list(range(cancels))
    first_refund = before["cancels"][0]["created_at"]
    assert before["cancelled_at"] != first_refund
    assert served.answer(history_id) == {**before, "cancelled_at": first_refund}
    told = served.receiver.wait_for(lambda w: w.current.id == history_id, timeout=30)
    assert as_json(told.raw["previous"]) == before
    assert as_json(told.raw["current"]) == {**before, "cancelled_at": first_refund}


def test_reconciliation_finds_adopted_records_in_line_and_repairs_a_refund_missed_at_cut_over(
    served: Served,
):
    history_id = served.picked["iamport at the gateway"]
    before = _check_unchanged(served, history_id)
    since = min(row["created_at"] for row in served.original.histories.values()) - timedelta(
        hours=1
    )
    window = ["--since", _iso(since), "--until", _iso(datetime.now(UTC) + timedelta(hours=1))]

    def reconcile(*options: str):
        done = run_cli(
            "reconcile", "--vendor", "iamport", *window, *options, "--json", env=served.environ
        )
        return done.status, json.loads(done.stdout)

    status, report = reconcile()
    assert (status, report["drift"], report["orphans"], report["unknown"]) == (0, [], [], [])
    assert report["checked"] >= sum(
        1 for r in served.original.histories.values() if r["vendor_code"] == "iamport"
    )

    # A refund at the gateway while no payment server listened (the cut-over): its webhook is lost.
    imp_uid = served.original.histories[history_id]["vendor_uid"]
    served.fakes.iamport.webhook_url = f"http://127.0.0.1:{free_port()}/nobody"
    try:
        served.fakes.iamport.cancel(imp_uid, amount=3000, reason="refunded during the cut-over")
        assert served.fakes.iamport.drain_webhooks(timeout=30)
    finally:
        served.fakes.point_webhooks_at(served.api)
    assert served.answer(history_id) == before

    status, report = reconcile()
    assert status == 1
    assert {(d["id"], d["field"]) for d in report["drift"]} >= {
        (history_id, "refund"),
        (history_id, "cancels"),
    }

    status, report = reconcile("--repair")
    assert report["repaired"] == [history_id]
    after = served.answer(history_id)
    assert ([c["price"] for c in after["cancels"]], after["refund"]) == ([3000], 3000)
    told = served.receiver.wait_for(lambda w: w.current.id == history_id, timeout=30)
    assert as_json(told.raw["previous"]) == before
    assert reconcile()[0] == 0


def test_a_webhook_the_original_did_not_deliver_is_sent_when_the_operator_retries_it(
    served: Served,
):
    webhook = served.original.webhooks[served.undelivered]
    listed = run_cli("webhooks", "list", "--status", "failed", env=served.environ)
    assert [line.split()[0] for line in listed.stdout.splitlines()[1:]] == [served.undelivered]

    retried = run_cli("webhooks", "retry", served.undelivered, env=served.environ)

    assert retried.status == 0, retried.stderr
    told = served.receiver.wait_for(lambda w: w.id == served.undelivered, timeout=30)
    assert as_json(told.raw["previous"]) == json.loads(webhook["previous"])
    assert as_json(told.raw["current"]) == json.loads(webhook["current"])
    assert told.raw["source"] == served.original.source(webhook["payment_history_id"])


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
