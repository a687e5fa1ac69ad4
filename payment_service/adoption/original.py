"""The tables of `@samchon/payment-backend` (its Prisma schema, as its releases up to 10.0.0
created them), and how a schema found in a database differs from them.

Only tables, columns, types and nullability are compared: the original's releases differ in
their secondary indexes, and the adoption replaces all of those anyway.
"""

from __future__ import annotations

from .catalog import Column, Table

UUID = Column("uuid", nullable=False)
TEXT = Column("character varying", nullable=False)
"""Prisma's `@db.VarChar`: a varchar without length."""
LONG_TEXT = Column("text", nullable=False)
MONEY = Column("double precision", nullable=False)
INSTANT = Column("timestamp with time zone", nullable=False)


def _optional(column: Column) -> Column:
    return Column(column.type, nullable=True)


_RECORD = {
    "id": UUID,
    "source_schema": TEXT,
    "source_table": TEXT,
    "source_id": TEXT,
    "vendor_code": TEXT,
    "vendor_uid": TEXT,
    "vendor_store_id": TEXT,
}

ORIGINAL: dict[str, dict[str, Column]] = {
    "payment_histories": {
        **_RECORD,
        "currency": TEXT,
        "price": MONEY,
        "refund": _optional(MONEY),
        "webhook_url": Column("character varying(1024)", nullable=False),
        "data": LONG_TEXT,
        "password": TEXT,
        "created_at": INSTANT,
        "paid_at": _optional(INSTANT),
        "cancelled_at": _optional(INSTANT),
    },
    "payment_history_cancels": {
        "id": UUID,
        "payment_history_id": UUID,
        "amount": MONEY,
        "reason": LONG_TEXT,
        "data": LONG_TEXT,
        "created_at": INSTANT,
    },
    "payment_history_webhooks": {
        "id": UUID,
        "payment_history_id": UUID,
        "previous": LONG_TEXT,
        "current": LONG_TEXT,
        "data": LONG_TEXT,
        "created_at": INSTANT,
    },
    "payment_history_webhook_responses": {
        "id": UUID,
        "payment_history_webhook_id": UUID,
        "status": Column("integer", nullable=True),
        "body": _optional(LONG_TEXT),
        "created_at": INSTANT,
    },
    "payment_reservations": {
        **_RECORD,
        "title": TEXT,
        "data": LONG_TEXT,
        "password": TEXT,
        "created_at": INSTANT,
    },
}
TABLES = tuple(ORIGINAL)

OURS_ONLY = (
    "alembic_version",
    "payment_history_claims",
    "payment_history_pending_refunds",
    "payment_idempotency_keys",
    "payment_auth_failures",
)
"""Tables that payment-service has and the original never had: finding one means the schema
is (partly) ours already."""


def differences(found: dict[str, Table]) -> list[str]:
    """How the tables `found` in a schema differ from the original's, one sentence each
    (empty: they are the original's)."""
    problems: list[str] = []
    for name, columns in ORIGINAL.items():
        table = found.get(name)
        if table is None:
            problems.append(f"table {name} is missing")
            continue
        for column, expected in columns.items():
            actual = table.columns.get(column)
            if actual is None:
                problems.append(f"{name}.{column} is missing")
            elif actual.type != expected.type:
                problems.append(
                    f"{name}.{column} is {actual.type}, the original's is {expected.type}"
                )
            elif actual.nullable != expected.nullable:
                problems.append(
                    f"{name}.{column} {'allows' if actual.nullable else 'refuses'} NULL, "
                    f"the original's {'allows' if expected.nullable else 'refuses'} it"
                )
        for column in table.columns.keys() - columns.keys():
            problems.append(f"{name}.{column} is not a column of the original's")
        primary = [c for c in table.constraints.values() if c.kind == "p"]
        if [c.definition for c in primary] != ["PRIMARY KEY (id)"]:
            problems.append(f"{name} has no primary key on id")
    for name in OURS_ONLY:
        if name in found:
            problems.append(f"table {name} exists (the original has none such)")
    return problems
