"""Where an encrypted value lives (`keyrings.Place`), for the envelopes bound to it.

A claim becomes its payment under the same id and hands its `data` over as it is (migration
0006, `queries.claims.confirm`), so a claim's values are bound as the payment's.
"""

from __future__ import annotations

from ..keyrings import Place
from .models import Base, PaymentHistory, PaymentHistoryClaim

HISTORIES: str = PaymentHistory.__tablename__
# The table whose places a table's values are bound to (itself, but for claims).
BOUND_AS: dict[str, str] = {PaymentHistoryClaim.__tablename__: HISTORIES}


def bound_table(table: str) -> str:
    return BOUND_AS.get(table, table)


def place(row: Base, column: str) -> Place:
    """The place of `row.<column>` (the row's id must be set)."""
    row_id = row.id  # type: ignore[attr-defined]
    if row_id is None:
        raise ValueError("a bound value needs its row's id before it is encrypted")
    return Place(bound_table(row.__tablename__), column, row_id)


def place_of(table: str, column: str, row_id: str) -> Place:
    return Place(bound_table(table), column, row_id)
