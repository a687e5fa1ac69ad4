"""`payment-service adopt-original` on the database the original server wrote (PostgreSQL only):
what it checks and refuses, what `--dry-run` says, and what an adoption leaves behind."""

from __future__ import annotations

import re

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from payment_service.adoption.catalog import describe
from payment_service.db import Base, Database
from payment_service.db.migrate import head_revision, upgrade
from tests.support.cli import run_cli

from .adopted import assert_adopted
from .original import (
    SCHEMA,
    drop_database,
    dump,
    environment,
    execute,
    new_database,
    read,
)

TABLE_COUNTS = {
    "payment_histories": 47,
    "payment_history_cancels": 24,
    "payment_history_webhooks": 31,
    "payment_history_webhook_responses": 31,
    "payment_reservations": 4,
}


def adopt(url: str, *options: str, **env: str):
    return run_cli("adopt-original", *options, env=environment(url, **env))


def test_adoption_keeps_every_record_as_the_original_stored_and_answered_it(original_url):
    original = read(original_url)
    assert original.counts == TABLE_COUNTS

    done = adopt(original_url)

    assert done.status == 0, done.stderr
    assert "amounts: all 118 are exact in NUMERIC(20,4)" in done.stdout
    assert f"schema payments is at revision {head_revision()} (head)" in done.stdout
    assert_adopted(original_url, original)


def test_dry_run_prints_the_row_counts_and_the_plan_and_changes_nothing(original_url):
    before = dump(original_url)

    done = adopt(original_url, "--dry-run")

    assert done.status == 0, done.stderr
    for table, count in TABLE_COUNTS.items():
        assert re.search(rf"^  {table} +{count}$", done.stdout, re.MULTILINE), done.stdout
    assert "amounts: all 118 are exact in NUMERIC(20,4)" in done.stdout
    assert "outgoing webhooks: 31 delivered by the original, 0 not delivered" in done.stdout
    assert "would, in one transaction:" in done.stdout
    assert "stamp Alembic revision 0001" in done.stdout
    assert done.stdout.rstrip().endswith("dry run: nothing was changed")
    assert dump(original_url) == before


def test_amounts_that_numeric_cannot_hold_exactly_are_listed_and_refused(original_url):
    original = read(original_url)
    paid, cancelled = sorted(original.histories)[:2]
    [cancel, *_] = next(iter(original.cancels.values()))
    execute(
        original_url,
        "UPDATE payments.payment_histories SET price = 0.1::float8 + 0.2::float8 WHERE id = :a",
        "UPDATE payments.payment_histories SET refund = 12.34567 WHERE id = :b",
        "UPDATE payments.payment_history_cancels SET amount = 'NaN' WHERE id = :c",
        a=paid,
        b=cancelled,
        c=cancel["id"],
    )
    before = dump(original_url)

    dry = adopt(original_url, "--dry-run")
    done = adopt(original_url)

    for result in (dry, done):
        assert result.status == 1
        assert "amounts: 3 of 118 are not exact in NUMERIC(20,4):" in result.stdout
        assert f"payment_histories {paid} price = 0.30000000000000004" in result.stdout
        assert "(NUMERIC(20,4) would round it to 0.3000)" in result.stdout
        assert f"payment_histories {cancelled} refund = 12.34567" in result.stdout
        assert f"payment_history_cancels {cancel['id']} amount = nan" in result.stdout
        assert "3 amount(s) are not exact in NUMERIC(20,4)" in result.stderr
        assert "nothing was changed" in result.stderr
    assert dump(original_url) == before


def test_a_key_that_does_not_open_the_records_is_refused_naming_the_variable(original_url):
    before = dump(original_url)

    done = adopt(original_url, PAYMENT_HISTORY_ENCRYPTION_KEY="x" * 32)

    assert done.status == 1
    assert (
        "payment_histories.data: 47 of 47 row(s) do not decrypt with "
        "PAYMENT_HISTORY_ENCRYPTION_KEY/IV" in done.stderr
    )
    assert "Set the keys the original server ran with" in done.stderr
    assert dump(original_url) == before


def test_values_longer_than_payment_service_keeps_are_refused(original_url):
    original = read(original_url)
    history_id = sorted(original.histories)[0]
    execute(
        original_url,
        "UPDATE payments.payment_histories SET currency = 'A-CURRENCY-CODE-THAT-IS-TOO-LONG' "
        "WHERE id = :id",
        id=history_id,
    )

    done = adopt(original_url)

    assert done.status == 1
    assert (
        "payment_histories.currency is longer than 16 characters (payment-service's limit) "
        f"in 1 row(s): {history_id}" in done.stderr
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "ALTER TABLE payments.payment_histories ALTER COLUMN price TYPE numeric",
            "payment_histories.price is numeric, the original's is double precision",
        ),
        (
            "DROP TABLE payments.payment_reservations",
            "table payment_reservations is missing",
        ),
        (
            "ALTER TABLE payments.payment_history_cancels ADD COLUMN extra integer",
            "payment_history_cancels.extra is not a column of the original's",
        ),
        (
            "CREATE TABLE payments.payment_idempotency_keys (id integer)",
            "table payment_idempotency_keys exists (the original has none such)",
        ),
        (
            "CREATE TABLE public.orders (id serial PRIMARY KEY, payment uuid "
            "REFERENCES payments.payment_histories (id))",
            "public.orders has a foreign key (orders_payment_fkey) to the original's tables",
        ),
    ],
)
def test_a_schema_that_is_not_the_originals_is_refused_saying_what_differs(
    original_url, change, message
):
    execute(original_url, change)
    before = dump(original_url)

    done = adopt(original_url)

    assert done.status == 1
    assert "schema payments does not hold the tables of @samchon/payment-backend:" in done.stderr
    assert f"  - {message}" in done.stderr
    assert dump(original_url) == before


def test_a_schema_of_payment_service_itself_is_refused(server):
    url = new_database(server)
    try:
        upgrade(Database(url, SCHEMA))
        before = dump(url)

        done = adopt(url)

        assert done.status == 1
        assert (
            f"schema payments already holds payment-service's own tables (Alembic revision "
            f"{head_revision()}), not the original's" in done.stderr
        )
        assert dump(url) == before
    finally:
        drop_database(server, url)


def test_an_empty_or_missing_schema_is_refused(original_url):
    missing = adopt(original_url, "--schema", "elsewhere")
    empty = adopt(original_url, "--schema", "public")

    assert missing.status == 1
    assert "the schema elsewhere does not exist in this database" in missing.stderr
    assert empty.status == 1
    assert "table payment_histories is missing" in empty.stderr


def test_sqlite_is_refused(tmp_path):
    done = run_cli(
        "adopt-original", env={"PAYMENT_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    )

    assert done.status == 1
    assert "adopt-original works on PostgreSQL only" in done.stderr


def test_running_it_again_changes_nothing(original_url):
    assert adopt(original_url).status == 0
    before = dump(original_url)

    again = adopt(original_url)

    assert again.status == 0
    assert "nothing to adopt: schema payments was adopted from @samchon/payment-backend" in (
        again.stdout
    )
    assert dump(original_url) == before


def test_the_adopted_schema_is_exactly_the_one_migrations_build(original_url, server):
    # Defaults that a deployment of the original may have added go too.
    execute(
        original_url,
        "ALTER TABLE payments.payment_histories ALTER COLUMN created_at SET DEFAULT now(), "
        "ALTER COLUMN id SET DEFAULT gen_random_uuid()",
    )
    assert adopt(original_url).status == 0
    fresh = new_database(server)
    try:
        upgrade(Database(fresh, SCHEMA))
        adopted, built = (_catalog(url) for url in (original_url, fresh))
    finally:
        drop_database(server, fresh)

    # The one difference: the mark that says the schema was adopted.
    assert adopted.pop("alembic_version").comment.startswith("adopted from @samchon/")
    assert built.pop("alembic_version").comment is None
    assert adopted == built
    database = Database(original_url, SCHEMA)
    with database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    database.dispose()


def _catalog(url: str):
    database = Database(url, SCHEMA)
    with database.engine.connect() as connection:
        found = describe(connection, SCHEMA)
    database.dispose()
    return found


def test_webhooks_the_original_did_not_deliver_are_kept_as_failed(original_url):
    original = read(original_url)
    failed, unanswered, unsent = sorted(original.webhooks)[:3]
    execute(
        original_url,
        "UPDATE payments.payment_history_webhook_responses SET status = 500, body = 'down' "
        "WHERE payment_history_webhook_id = :failed",
        "UPDATE payments.payment_history_webhook_responses SET status = NULL, body = NULL "
        "WHERE payment_history_webhook_id = :unanswered",
        "DELETE FROM payments.payment_history_webhook_responses "
        "WHERE payment_history_webhook_id = :unsent",
        failed=failed,
        unanswered=unanswered,
        unsent=unsent,
    )
    original = read(original_url)

    dry = adopt(original_url, "--dry-run")
    done = adopt(original_url)

    assert "outgoing webhooks: 28 delivered by the original, 3 not delivered" in dry.stdout
    assert done.status == 0, done.stderr
    assert "3 outgoing webhook(s) the original had not delivered are kept as failed" in done.stdout
    assert_adopted(original_url, original)
    listed = run_cli("webhooks", "list", "--status", "failed", env=environment(original_url))
    reasons = {
        failed: "last answer: HTTP 500",
        unanswered: "the receiver did not answer",
        unsent: "no attempt recorded",
    }
    for webhook_id, reason in reasons.items():
        line = next(line for line in listed.stdout.splitlines() if line.startswith(webhook_id))
        assert f"the original server did not deliver it ({reason})" in line
    assert len(listed.stdout.splitlines()) == 1 + 3


def test_the_originals_database_not_yet_adopted_gets_a_message_not_a_traceback(original_url):
    before = dump(original_url)

    done = run_cli("schema", env=environment(original_url))

    assert done.status == 1
    assert "no payment-service schema revision" in done.stderr
    assert "adopt it first: `payment-service adopt-original`" in done.stderr
    assert "Traceback" not in done.stderr
    assert dump(original_url) == before
