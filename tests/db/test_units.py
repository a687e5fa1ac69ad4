"""Units of work: `one_statement()` commits by itself, and the connection it used goes back
to the pool as a transactional one; `insert_new` inserts unless a unique key is taken."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from payment_service.db import Database, IdempotencyKey
from payment_service.db.models import new_id
from payment_service.db.queries.idempotency import insert_new_key, keep_answer

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def key_row(key: str) -> dict[str, Any]:
    return {
        "id": new_id(),
        "route": "POST /payments/histories",
        "key": key,
        "fingerprint": "f" * 64,
        "owner": new_id(),
        "locked_until": NOW + timedelta(seconds=60),
        "unknown": False,
        "created_at": NOW,
        "expires_at": NOW + timedelta(days=1),
    }


def count_keys(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(IdempotencyKey)) or 0


def test_one_statement_commits_and_a_taken_key_changes_nothing(database):
    first = key_row("k-1")
    with database.one_statement() as session:
        assert insert_new_key(session, first) is True
    again = key_row("k-1")
    with database.one_statement() as session:
        assert insert_new_key(session, again) is False
    with database.reading() as session:
        stored = session.scalars(select(IdempotencyKey)).all()
    assert [(row.id, row.owner) for row in stored] == [(first["id"], first["owner"])]


def test_after_one_statement_a_transaction_on_the_same_connection_still_rolls_back(database):
    # One pooled connection, so the transaction reuses the one the autocommit unit used.
    database.engine.pool.dispose()
    with database.one_statement() as session:
        insert_new_key(session, key_row("k-1"))
    with pytest.raises(RuntimeError), database.transaction() as session:
        insert_new_key(session, key_row("k-2"))
        raise RuntimeError("rolled back")
    assert count_keys(database) == 1


def test_after_a_health_check_a_transaction_on_the_same_connection_still_rolls_back(database):
    # The check runs in autocommit on PostgreSQL: the connection must go back transactional.
    database.engine.pool.dispose()
    database.check()
    with pytest.raises(RuntimeError), database.transaction() as session:
        insert_new_key(session, key_row("k-2"))
        raise RuntimeError("rolled back")
    assert count_keys(database) == 0


def test_an_answer_is_kept_only_by_the_request_that_holds_the_key(database):
    row = key_row("k-1")
    with database.one_statement() as session:
        insert_new_key(session, row)
    answer = {
        "status": 201,
        "response": "sealed",
        "locked_until": NOW,
        "expires_at": NOW + timedelta(days=1),
        "auth_record": new_id(),
        "auth_hash": "$2a$10$" + "x" * 53,
    }
    with database.one_statement() as session:
        assert keep_answer(session, row["id"], new_id(), **answer) is False
    with database.reading() as session:
        assert session.get(IdempotencyKey, row["id"]).status is None
    with database.one_statement() as session:
        assert keep_answer(session, row["id"], row["owner"], **answer) is True
    with database.reading() as session:
        kept = session.get(IdempotencyKey, row["id"])
        assert (kept.status, kept.response, kept.auth_hash) == (201, "sealed", answer["auth_hash"])


def test_of_many_racing_inserts_of_one_key_exactly_one_goes_in(database):
    outcomes: list[bool] = []
    start = threading.Barrier(8)

    def insert() -> None:
        start.wait()
        with database.one_statement() as session:
            outcomes.append(insert_new_key(session, key_row("raced")))

    threads = [threading.Thread(target=insert) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == [False] * 7 + [True]
    assert count_keys(database) == 1
