"""Alembic migrations on SQLite and PostgreSQL, and the column types both must honour."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import insert, inspect, select

from payment_service.db import Database, PaymentHistory, PaymentHistoryClaim
from payment_service.db.migrate import MIGRATIONS, alembic_config, current_revision, upgrade

TABLES = {
    "payment_reservations",
    "payment_histories",
    "payment_history_claims",
    "payment_history_cancels",
    "payment_history_webhooks",
    "payment_history_webhook_responses",
    "payment_history_pending_refunds",
    "payment_idempotency_keys",
    "payment_auth_failures",
    "payment_approval_failures",
    "payment_schedules",
    "payment_schedule_periods",
    "payment_inbound_webhook_ids",
    "payment_inbound_budgets",
    "payment_at_rest_seals",
    "payment_janitor_checks",
    "payment_findings",
    "payment_finding_events",
    "payment_reconcile_runs",
}
# The one head of the migration chain (a second head would make this raise).
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


def test_upgrade_reaches_head_with_every_table_and_is_idempotent(database_url):
    database = Database(database_url)
    upgrade(database)
    upgrade(database)
    assert current_revision(database) == HEAD
    assert set(inspect(database.engine).get_table_names()) >= TABLES
    uniques = {
        tuple(u["column_names"])
        for u in inspect(database.engine).get_unique_constraints("payment_histories")
    }
    assert ("source_schema", "source_table", "source_id") in uniques
    assert ("vendor_code", "vendor_uid") in uniques
    database.dispose()


def test_upgrade_creates_a_fresh_sqlite_database(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    assert current_revision(database) is None
    upgrade(database)
    assert current_revision(database) == HEAD
    database.dispose()


def history(**overrides):
    values = dict(
        source_schema="s",
        source_table="t",
        source_id="i",
        vendor_code="v",
        vendor_uid="u",
        vendor_store_id="store",
        currency="KRW",
        price=Decimal("19.99"),
        refund=Decimal(0),
        webhook_url="http://x",
        data="cipher",
        password="hash",
        created_at=datetime(2024, 5, 1, 12, 0, 0, 123000, tzinfo=timezone(timedelta(hours=9))),
    )
    values.update(overrides)
    return PaymentHistory(**values)


def test_money_is_exact_and_instants_come_back_in_utc(database_url):
    database = Database(database_url)
    with database.transaction() as session:
        session.add(history(price=Decimal("12345678901234.5678"), refund=Decimal("0.1")))
    with database.transaction() as session:
        row = session.scalars(select(PaymentHistory)).one()
    assert row.price == Decimal("12345678901234.5678")
    assert row.refund == Decimal("0.1")
    assert row.created_at == datetime(2024, 5, 1, 3, 0, 0, 123000, tzinfo=UTC)
    assert row.created_at.utcoffset() == timedelta(0)
    database.dispose()


def test_duplicate_source_violates_the_unique_constraint(database_url):
    import pytest
    from sqlalchemy.exc import IntegrityError

    database = Database(database_url)
    with database.transaction() as session:
        session.add(history())
    with pytest.raises(IntegrityError), database.transaction() as session:
        session.add(history(vendor_uid="other"))
    database.dispose()


def test_the_migrations_build_exactly_the_models_schema(database_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from payment_service.db import Base

    database = Database(database_url)
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    database.dispose()
    assert differences == []


def test_an_installation_without_migrations_is_an_error_not_revision_none(tmp_path):
    import shutil

    import pytest

    from payment_service.db.migrate import MIGRATIONS, MigrationError

    incomplete = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, incomplete, ignore=shutil.ignore_patterns("0*.py"))  # no revision
    database = Database(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    with pytest.raises(
        MigrationError, match=r"no database migrations found in .*migrations.versions"
    ):
        upgrade(database, migrations=incomplete)
    shutil.rmtree(incomplete / "versions")
    with pytest.raises(MigrationError, match="no database migrations found"):
        upgrade(database, migrations=incomplete)
    assert current_revision(database) is None
    database.dispose()


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A database of its own, without tables: a new SQLite file, or a new PostgreSQL schema."""
    if database_url.startswith("sqlite"):
        database = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield database
        database.dispose()
        return
    schema = f"migration_{uuid.uuid4().hex[:12]}"
    database = Database(database_url, schema=schema)
    yield database
    database.dispose()
    admin = Database(database_url)
    with admin.engine.begin() as connection:
        connection.exec_driver_sql(f'DROP SCHEMA "{schema}" CASCADE')
    admin.dispose()


def test_claims_move_to_their_own_table_and_back(empty_database):
    """0006: a history row without `confirmed_at` was a claim; upgrading moves it (same id and
    columns) to payment_history_claims, leaving the payments; downgrading moves it back."""
    database = empty_database
    upgrade(database, "0005_issue15")
    rows = {
        "claim": history(id=str(uuid.uuid4()), source_id="c", vendor_uid="c", data="null-cipher"),
        "paid": history(id=str(uuid.uuid4()), confirmed_at=datetime(2024, 5, 1, tzinfo=UTC)),
    }
    with database.transaction() as session:
        # As rows of 0005's table: the model has columns of later revisions.
        for row in rows.values():
            session.execute(insert(PaymentHistory.__table__).values(as_of_0005(row)))
    claim_id, paid_id = rows["claim"].id, rows["paid"].id

    upgrade(database)
    with database.reading() as session:
        [claim] = session.scalars(select(PaymentHistoryClaim)).all()
        assert session.scalars(select(PaymentHistory.id)).all() == [paid_id]
    assert claim.id == claim_id
    assert (claim.source_id, claim.vendor_uid, claim.data) == ("c", "c", "null-cipher")
    assert (claim.price, claim.webhook_url) == (Decimal("19.99"), "http://x")
    assert claim.password == "hash"
    assert claim.created_at == datetime(2024, 5, 1, 3, 0, 0, 123000, tzinfo=UTC)

    alembic = alembic_config(database)
    command.downgrade(alembic, "0005_issue15")
    assert "payment_history_claims" not in inspect(database.engine).get_table_names()
    with database.engine.connect() as connection:
        back = connection.exec_driver_sql(
            "SELECT id, source_id, currency, refund, data, confirmed_at FROM payment_histories "
            "ORDER BY source_id"
        ).all()
    assert [(r[0], r[1], r[2], Decimal(r[3]), r[4], utc(r[5])) for r in back] == [
        (claim_id, "c", "", Decimal(0), "null-cipher", None),
        (paid_id, "i", "KRW", Decimal(0), "cipher", datetime(2024, 5, 1, tzinfo=UTC)),
    ]


# Columns of payment_histories added after 0005.
ADDED_AFTER_0005 = {"synced_at", "due_at", "sync_fetched_at"}


def as_of_0005(row: PaymentHistory) -> dict[str, object]:
    columns = PaymentHistory.__table__.columns
    return {c.key: getattr(row, c.key) for c in columns if c.key not in ADDED_AFTER_0005}


def utc(stored: datetime | str | None) -> datetime | None:
    """A timestamp as the driver returns it (SQLite: text, naive UTC), in UTC."""
    if stored is None:
        return None
    moment = datetime.fromisoformat(stored) if isinstance(stored, str) else stored
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def test_schedules_come_and_go_with_0008(empty_database):
    """0008: the schedules' tables are created, and dropped again by the downgrade."""
    database = empty_database
    upgrade(database)
    alembic = alembic_config(database)
    command.downgrade(alembic, "0008_issue27")
    tables = set(inspect(database.engine).get_table_names())
    assert not {"payment_schedules", "payment_schedule_periods"} & tables
    upgrade(database)
    assert {"payment_schedules", "payment_schedule_periods"} <= set(
        inspect(database.engine).get_table_names()
    )
