"""The original's five tables, changed in place into payment-service's schema as Alembic
revision `0001` created it (the revision whose tables are exactly the original's five).

Everything later — the sync lease, claims, pending refunds, idempotency keys, failed-password
counts, and whatever migrations come after — is then added by the ordinary upgrade to head, so
this module knows one fixed revision and never has to follow the newer ones. The test suite
compares the result with a database that migration `0001` created.

Each step says what it does (for `--dry-run`) and runs on the adoption's one connection, inside
its one transaction: nothing is committed until every step has succeeded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from ..db.migrate import MIGRATIONS
from ..db.places import place_of
from ..keyrings import AtRestKeyring
from . import money
from .catalog import Table, quote

REVISION = "0001"
"""The revision the original's tables are brought to and stamped with."""

MARKER = "adopted from @samchon/payment-backend by payment-service adopt-original"
"""Starts the comment on `alembic_version` that tells an adopted schema from one we created."""

ID = "character varying(36)"
UUID_TO_ID = "{column}::text"

# Per table: (column, type at revision 0001, USING expression or None). Columns not listed keep
# the original's type, which already is revision 0001's.
RETYPED: dict[str, list[tuple[str, str, str | None]]] = {
    "payment_histories": [
        ("id", ID, UUID_TO_ID),
        ("source_schema", "character varying(255)", None),
        ("source_table", "character varying(255)", None),
        ("source_id", "character varying(255)", None),
        ("vendor_code", "character varying(64)", None),
        ("vendor_uid", "character varying(255)", None),
        ("vendor_store_id", "character varying(255)", None),
        ("currency", "character varying(16)", None),
        ("price", "numeric(20,4)", money.conversion("price")),
        ("refund", "numeric(20,4)", money.conversion("refund")),
        ("password", "character varying(255)", None),
    ],
    "payment_history_cancels": [
        ("id", ID, UUID_TO_ID),
        ("payment_history_id", ID, UUID_TO_ID),
        ("amount", "numeric(20,4)", money.conversion("amount")),
    ],
    "payment_history_webhooks": [
        ("id", ID, UUID_TO_ID),
        ("payment_history_id", ID, UUID_TO_ID),
    ],
    "payment_history_webhook_responses": [
        ("id", ID, UUID_TO_ID),
        ("payment_history_webhook_id", ID, UUID_TO_ID),
    ],
    "payment_reservations": [
        ("id", ID, UUID_TO_ID),
        ("source_schema", "character varying(255)", None),
        ("source_table", "character varying(255)", None),
        ("source_id", "character varying(255)", None),
        ("vendor_code", "character varying(64)", None),
        ("vendor_uid", "character varying(255)", None),
        ("vendor_store_id", "character varying(255)", None),
        ("title", "text", None),
        ("password", "character varying(255)", None),
    ],
}

# Per table: the columns revision 0001 has and the original has not (added nullable, filled,
# then made NOT NULL where 0001 has them so).
ADDED: dict[str, list[tuple[str, str, bool]]] = {
    "payment_histories": [("confirmed_at", "timestamp with time zone", False)],
    "payment_history_cancels": [("sequence", "integer", True)],
    "payment_history_webhooks": [
        ("status", "character varying(16)", True),
        ("attempts", "integer", True),
        ("next_attempt_at", "timestamp with time zone", True),
        ("deadline_at", "timestamp with time zone", True),
        ("claimed_until", "timestamp with time zone", False),
        ("claimed_by", "character varying(255)", False),
        ("delivered_at", "timestamp with time zone", False),
        ("last_error", "text", False),
    ],
    "payment_history_webhook_responses": [
        ("error", "text", False),
        ("duration_ms", "integer", False),
    ],
}

# Revision 0001's constraints and indexes besides the primary keys, by their names there
# (two are SQLAlchemy's shortened forms of names longer than PostgreSQL's 63 characters).
CONSTRAINTS = [
    "ALTER TABLE payment_histories "
    "ADD CONSTRAINT payment_histories_source_schema_source_table_source_id_key "
    "UNIQUE (source_schema, source_table, source_id), "
    "ADD CONSTRAINT payment_histories_vendor_code_vendor_uid_key UNIQUE (vendor_code, vendor_uid)",
    "CREATE INDEX payment_histories_created_at_idx ON payment_histories (created_at)",
    "ALTER TABLE payment_reservations "
    "ADD CONSTRAINT payment_reservations_source_schema_source_table_source_id_key "
    "UNIQUE (source_schema, source_table, source_id), "
    "ADD CONSTRAINT payment_reservations_vendor_code_vendor_uid_key "
    "UNIQUE (vendor_code, vendor_uid)",
    "CREATE INDEX payment_reservations_created_at_idx ON payment_reservations (created_at)",
    "ALTER TABLE payment_history_cancels "
    "ADD CONSTRAINT payment_history_cancels_payment_history_id_sequence_key "
    "UNIQUE (payment_history_id, sequence), "
    "ADD CONSTRAINT payment_history_cancels_payment_history_id_fkey "
    "FOREIGN KEY (payment_history_id) REFERENCES payment_histories (id) ON DELETE CASCADE",
    "ALTER TABLE payment_history_webhooks "
    "ADD CONSTRAINT payment_history_webhooks_payment_history_id_fkey "
    "FOREIGN KEY (payment_history_id) REFERENCES payment_histories (id) ON DELETE CASCADE",
    "CREATE INDEX payment_history_webhooks_payment_history_id_idx "
    "ON payment_history_webhooks (payment_history_id)",
    "CREATE INDEX payment_history_webhooks_status_next_attempt_at_idx "
    "ON payment_history_webhooks (status, next_attempt_at)",
    "ALTER TABLE payment_history_webhook_responses "
    "ADD CONSTRAINT payment_history_webhook_responses_payment_history_webho_b1d9 "
    "FOREIGN KEY (payment_history_webhook_id) REFERENCES payment_history_webhooks (id) "
    "ON DELETE CASCADE",
    "CREATE INDEX payment_history_webhook_responses_payment_history_webho_b802 "
    "ON payment_history_webhook_responses (payment_history_webhook_id)",
]

NOT_DELIVERED = (
    "the original server did not deliver it ({reason}); adopted without sending it again"
)
WEBHOOK_BATCH = 500
WEBHOOKS = "payment_history_webhooks"


@dataclass(frozen=True)
class Step:
    says: str
    run: Callable[[Connection], None]


class ConversionFailed(Exception):
    """A check inside the transaction failed: everything is rolled back."""


def plan(found: dict[str, Table], webhook_key: AtRestKeyring, now: datetime) -> list[Step]:
    """The steps, in order, that turn the original's tables `found` into revision 0001."""
    replaced = _replaced(found)
    return [
        Step(
            "drop the original's foreign keys and secondary indexes"
            + (f" ({', '.join(name for _, _, name in replaced)})" if replaced else ""),
            lambda connection: _drop(connection, replaced),
        ),
        Step("keep a copy of every amount to check the conversion against", money.snapshot),
        *(
            Step(
                _retype_says(table),
                lambda connection, table=table: _retype(connection, table, found[table]),
            )
            for table in RETYPED
        ),
        Step(
            "check that every converted amount reads back as the original's double",
            _check_amounts,
        ),
        Step("payments: confirmed_at = created_at (every original payment was approved)", _confirm),
        Step("cancels: number each payment's cancels in the gateway's order (sequence)", _number),
        Step(
            "outgoing webhooks: delivered or failed as the original's responses say; their "
            "texts encrypted with PAYMENT_WEBHOOK_ENCRYPTION_KEY/IV",
            lambda connection: _outbox(connection, webhook_key),
        ),
        Step("require the added columns that revision 0001 requires", _require),
        Step("add payment-service's constraints and indexes", _constrain),
        Step(
            f"stamp Alembic revision {REVISION}, marked as adopted",
            lambda connection: stamp(connection, now),
        ),
    ]


def _replaced(found: dict[str, Table]) -> list[tuple[str, str, str]]:
    """(table, kind, name) of every foreign key, other constraint and secondary index of the
    original's tables: the releases of the original differ in them, and 0001 has its own."""
    foreign = [
        (table, "constraint", c.name)
        for table in RETYPED
        for c in found[table].constraints.values()
        if c.kind == "f"
    ]
    other = [
        (table, "constraint", c.name)
        for table in RETYPED
        for c in found[table].constraints.values()
        if c.kind not in ("f", "p")
    ]
    indexes = [(table, "index", name) for table in RETYPED for name in found[table].indexes]
    return foreign + other + indexes  # foreign keys first: they depend on the others


def _drop(connection: Connection, replaced: list[tuple[str, str, str]]) -> None:
    for table, kind, name in replaced:
        if kind == "constraint":
            connection.execute(text(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}"))
        else:
            connection.execute(text(f"DROP INDEX {quote(name)}"))
    for table in RETYPED:
        primary = connection.execute(
            text(
                "SELECT conname FROM pg_constraint WHERE contype = 'p' "
                "AND conrelid = CAST(:table AS regclass)"
            ),
            {"table": quote(table)},
        ).scalar_one()
        if primary != f"{table}_pkey":
            connection.execute(
                text(
                    f"ALTER TABLE {quote(table)} RENAME CONSTRAINT {quote(primary)} "
                    f"TO {quote(table + '_pkey')}"
                )
            )


def _retype_says(table: str) -> str:
    changes = [f"{column} → {kind}" for column, kind, _ in RETYPED[table]]
    changes += [f"add {column}" for column, _, _ in ADDED.get(table, [])]
    return f"{table}: {', '.join(changes)}"


def _retype(connection: Connection, table: str, found: Table) -> None:
    # One ALTER TABLE per table: PostgreSQL rewrites the table once for all its columns.
    # Revision 0001 has no server-side defaults on these tables (a deployment of the original
    # may have added some): they go first, as a default may not fit the new type.
    clauses = [
        f"ALTER COLUMN {quote(column)} DROP DEFAULT"
        for column, found_column in found.columns.items()
        if found_column.default is not None
    ]
    clauses += [
        f"ALTER COLUMN {quote(column)} TYPE {kind}"
        + (f" USING {using.format(column=quote(column))}" if using else "")
        for column, kind, using in RETYPED[table]
    ]
    clauses += [f"ADD COLUMN {quote(column)} {kind}" for column, kind, _ in ADDED.get(table, [])]
    connection.execute(text(f"ALTER TABLE {quote(table)} {', '.join(clauses)}"))


def _check_amounts(connection: Connection) -> None:
    changed = money.changed(connection)
    if changed:
        raise ConversionFailed(
            f"{changed} amount(s) do not read back as the original's value after conversion"
        )


def _confirm(connection: Connection) -> None:
    connection.execute(text("UPDATE payment_histories SET confirmed_at = created_at"))


def _number(connection: Connection) -> None:
    # The original recorded the gateway's cancels with the gateway's own times, and a gateway's
    # list of cancels only grows: time order is the list's order, which is what `sequence`
    # (the position in that list) keys re-synchronisation on.
    connection.execute(
        text(
            "UPDATE payment_history_cancels c SET sequence = n.position FROM ("
            "SELECT id, row_number() OVER (PARTITION BY payment_history_id "
            "ORDER BY created_at, id) - 1 AS position FROM payment_history_cancels) n "
            "WHERE n.id = c.id"
        )
    )


def _outbox(connection: Connection, webhook_key: AtRestKeyring) -> None:
    # The original sent each webhook once and recorded the answer (a NULL status: no answer at
    # all). A webhook with a 2xx answer was delivered; any other was not, and is kept as failed
    # rather than sent again unasked, days late, possibly after a newer state of its payment:
    # `payment-service webhooks retry` sends it when the operator decides to.
    connection.execute(
        text(
            "UPDATE payment_history_webhook_responses "
            "SET error = 'no answer (the original server recorded no reason)' "
            "WHERE status IS NULL"
        )
    )
    reason = (
        "CASE WHEN r.attempts = 0 THEN 'no attempt recorded' "
        "WHEN r.last_status IS NULL THEN 'the receiver did not answer' "
        "ELSE 'last answer: HTTP ' || r.last_status END"
    )
    connection.execute(
        text(
            "UPDATE payment_history_webhooks w SET attempts = r.attempts, "
            "status = CASE WHEN r.delivered_at IS NULL THEN 'failed' ELSE 'delivered' END, "
            "delivered_at = r.delivered_at, next_attempt_at = w.created_at, "
            "deadline_at = w.created_at, "
            "last_error = CASE WHEN r.delivered_at IS NULL THEN "
            f"replace(:not_delivered, '{{reason}}', {reason}) END "
            "FROM (SELECT w.id, count(x.id) AS attempts, "
            "min(x.created_at) FILTER (WHERE x.status BETWEEN 200 AND 299) AS delivered_at, "
            "(array_agg(x.status ORDER BY x.created_at DESC, x.id DESC) "
            "FILTER (WHERE x.id IS NOT NULL))[1] AS last_status "
            "FROM payment_history_webhooks w LEFT JOIN payment_history_webhook_responses x "
            "ON x.payment_history_webhook_id = w.id GROUP BY w.id) r WHERE r.id = w.id"
        ),
        {"not_delivered": NOT_DELIVERED},
    )
    # payment-service keeps these texts encrypted (the original kept them in plain JSON); the
    # JSON text itself is kept byte for byte.
    last = ""
    while True:
        rows = connection.execute(
            text(
                "SELECT id, previous, current, data FROM payment_history_webhooks "
                "WHERE id > :last ORDER BY id LIMIT :batch"
            ),
            {"last": last, "batch": WEBHOOK_BATCH},
        ).all()
        if not rows:
            return
        connection.execute(
            text(
                "UPDATE payment_history_webhooks SET previous = :previous, current = :current, "
                "data = :data WHERE id = :id"
            ),
            [
                {
                    "id": row.id,
                    **{
                        column: webhook_key.encrypt(
                            getattr(row, column), place_of(WEBHOOKS, column, row.id)
                        )
                        for column in ("previous", "current", "data")
                    },
                }
                for row in rows
            ],
        )
        last = rows[-1].id


def _require(connection: Connection) -> None:
    for table, columns in ADDED.items():
        required = [column for column, _, not_null in columns if not_null]
        if required:
            clauses = ", ".join(f"ALTER COLUMN {quote(c)} SET NOT NULL" for c in required)
            connection.execute(text(f"ALTER TABLE {quote(table)} {clauses}"))


def _constrain(connection: Connection) -> None:
    for statement in CONSTRAINTS:
        connection.execute(text(statement))


def stamp(connection: Connection, now: datetime) -> None:
    """Record revision 0001 in `alembic_version` (which Alembic creates), and mark it adopted."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    MigrationContext.configure(connection).stamp(ScriptDirectory.from_config(config), REVISION)
    moment = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    connection.execute(text(f"COMMENT ON TABLE alembic_version IS '{MARKER} at {moment}'"))
