"""The original's money (DOUBLE PRECISION) as payment-service's (NUMERIC(20, 4)), exactly.

What the original answered for an amount was JavaScript's shortest decimal that reads back as
the stored double (`20000`, `19.99`, `0.30000000000000004`). An amount converts exactly when
that decimal fits NUMERIC(20, 4): then the NUMERIC holds precisely what the original answered,
and reads back as the very same double. Anything else (more than 4 decimals, 16 integer
digits or more, NaN, infinities) would change the amount, so the adoption refuses it and lists
it instead of rounding.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Connection, text

from .catalog import quote

PRECISION, SCALE = 20, 4
"""The type of payment-service's money columns (db.types.Money)."""

COLUMNS: dict[str, tuple[str, ...]] = {
    "payment_histories": ("price", "refund"),
    "payment_history_cancels": ("amount",),
}
"""The original's money columns by table."""


def exact(value: float) -> Decimal | None:
    """The decimal the original answered for `value`, or None when NUMERIC(20, 4) cannot hold
    it exactly."""
    if not math.isfinite(value):
        return None
    shortest = Decimal(repr(value))  # Python's repr, like JavaScript, is the shortest round trip
    exponent = shortest.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite decimal
    if exponent < -SCALE or shortest.adjusted() >= PRECISION - SCALE:
        return None
    return shortest


@dataclass(frozen=True)
class Inexact:
    """An amount that NUMERIC(20, 4) cannot hold exactly."""

    table: str
    id: str
    column: str
    value: float

    def __str__(self) -> str:
        nearest = ""
        if math.isfinite(self.value) and abs(self.value) < 10 ** (PRECISION - SCALE):
            rounded = Decimal(repr(self.value)).quantize(Decimal(1).scaleb(-SCALE))
            nearest = f" (NUMERIC(20,4) would round it to {rounded})"
        return f"{self.table} {self.id} {self.column} = {self.value!r}{nearest}"


def scan(connection: Connection) -> tuple[int, list[Inexact]]:
    """How many amounts the original's tables hold, and those that are not exact."""
    checked, inexact = 0, []
    for table, column, row_id, value in amounts(connection):
        checked += 1
        if exact(value) is None:
            inexact.append(Inexact(table, row_id, column, value))
    return checked, inexact


def amounts(connection: Connection) -> Iterator[tuple[str, str, str, float]]:
    """(table, column, id, value) of every non-NULL amount, streamed."""
    for table, columns in COLUMNS.items():
        for column in columns:
            query = text(
                f"SELECT id::text, {quote(column)} FROM {quote(table)} "
                f"WHERE {quote(column)} IS NOT NULL ORDER BY id"
            )
            rows = connection.execute(query.execution_options(yield_per=1000))
            for row_id, value in rows:
                yield table, column, row_id, float(value)


SNAPSHOT = "adoption_original_money"


def snapshot(connection: Connection) -> None:
    """Keep every original amount (as the double it is) until the transaction ends, so the
    converted ones can be checked against them."""
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {SNAPSHOT} (tbl text, col text, id text, value float8) "
            "ON COMMIT DROP"
        )
    )
    for table, columns in COLUMNS.items():
        for column in columns:
            connection.execute(
                text(
                    f"INSERT INTO {SNAPSHOT} SELECT :table, :column, id::text, {quote(column)} "
                    f"FROM {quote(table)} WHERE {quote(column)} IS NOT NULL"
                ),
                {"table": table, "column": column},
            )


def conversion(column: str) -> str:
    """The `USING` expression of an amount: through its shortest text form, which is exact
    (a direct float8 → numeric cast keeps only 15 significant digits)."""
    return f"({quote(column)}::text)::numeric({PRECISION},{SCALE})"


def changed(connection: Connection) -> int:
    """How many converted amounts do not read back as the original's double (must be 0)."""
    count = 0
    for table, columns in COLUMNS.items():
        for column in columns:
            count += connection.execute(
                text(
                    f"SELECT count(*) FROM {SNAPSHOT} s LEFT JOIN {quote(table)} t "
                    f"ON t.id = s.id WHERE s.tbl = :table AND s.col = :column "
                    f"AND (t.id IS NULL OR t.{quote(column)}::float8 IS DISTINCT FROM s.value)"
                ),
                {"table": table, "column": column},
            ).scalar_one()
    return count
