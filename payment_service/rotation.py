"""`payment-service rotate-keys`: re-encrypt every stored ciphertext with the current keys.

Built to run beside serving processes, over any number of rows:

* **Short transactions.** Rows are read in batches (keyset pagination by id) and decrypted
  outside any transaction; each batch's changes are written in one short transaction.
* **Optimistic.** A row is rewritten only if its encrypted columns still hold what was read
  (`UPDATE … WHERE id = ? AND data = <old>`). A server that changed the row meanwhile wrote it
  with the current key anyway; the row is read again and, if still needed, retried.
* **Resumable.** Progress lives in the data itself: a value sealed with the current pair
  and bound to its place (`AtRestKeyring.is_current`) is skipped without decrypting, so after
  an interruption the command is simply run again.
* **Binding.** Every value is rewritten as an envelope bound to its table, column and row id
  (`keyrings.Place`). A keyring all of whose values are bound after a complete pass is
  recorded (`payment_at_rest_seals`); from then on `real` mode refuses its unbound values
  (`PAYMENT_AT_REST_REQUIRE_BOUND`, `require_binding`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from sqlalchemy import Table

from .crypto import DecryptionError
from .db import (
    Database,
    IdempotencyKey,
    PaymentHistory,
    PaymentHistoryCancel,
    PaymentHistoryClaim,
    PaymentHistoryWebhook,
    PaymentReservation,
)
from .db.places import place_of
from .db.queries import ciphertexts
from .keyrings import AtRestKeyring
from .settings import Keys, Settings

log = logging.getLogger(__name__)

MAX_RETRIES = 3
UNREADABLE_SHOWN = 10


@dataclass(frozen=True)
class EncryptedTable:
    """A table, its encrypted columns, and which keyring of `Keys` protects them."""

    table: Table
    columns: tuple[str, ...]
    keyring: str
    bound: bool = True
    """Whether its values are bound to their place (the idempotency answers are not yet)."""


ENCRYPTED_TABLES = (
    EncryptedTable(PaymentHistory.__table__, ("data",), "history"),  # type: ignore[arg-type]
    EncryptedTable(PaymentHistoryClaim.__table__, ("data",), "history"),  # type: ignore[arg-type]
    EncryptedTable(PaymentReservation.__table__, ("data",), "reservation"),  # type: ignore[arg-type]
    EncryptedTable(PaymentHistoryCancel.__table__, ("data",), "cancel_history"),  # type: ignore[arg-type]
    EncryptedTable(
        PaymentHistoryWebhook.__table__,  # type: ignore[arg-type]
        ("previous", "current", "data"),
        "webhook",
    ),
    # Both columns stay NULL until the request stores an answer (or a note).
    EncryptedTable(
        IdempotencyKey.__table__,  # type: ignore[arg-type]
        ("response", "context"),
        "idempotency",
        bound=False,
    ),
)
# The keyrings whose every value is bound when written.
BOUND_KEYRINGS = tuple(
    dict.fromkeys(
        t.keyring
        for t in ENCRYPTED_TABLES
        if all(o.bound for o in ENCRYPTED_TABLES if o.keyring == t.keyring)
    )
)


@dataclass
class TableReport:
    """What happened to one table's rows (a row counts once, whatever its column count)."""

    table: str
    scanned: int = 0
    rewritten: int = 0
    current: int = 0
    busy: int = 0
    """Rows that kept changing under us for MAX_RETRIES attempts (run the command again)."""
    unreadable: list[str] = field(default_factory=list)
    """Ids of rows that no configured key opens."""


@dataclass
class _Row:
    id: str
    old: dict[str, str | None]
    new: dict[str, str]
    unreadable: bool


def count_rows(database: Database) -> int:
    """All rows the command will look at (for a progress bar)."""
    with database.transaction() as session:
        return sum(ciphertexts.count(session, target.table) for target in ENCRYPTED_TABLES)


def rotate_keys(
    database: Database,
    keys: Keys,
    *,
    dry_run: bool = False,
    batch_size: int = 200,
    pause_s: float = 0.0,
    progress: Callable[[int], None] = lambda _: None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[TableReport]:
    """Re-encrypt every table's ciphertext with its current pair; `dry_run` only counts.

    `progress(n)` is called after each batch with the number of rows it looked at; `pause_s`
    is slept between batches to leave the database to the serving processes.
    """
    reports = []
    complete: dict[str, bool] = {}
    for target in ENCRYPTED_TABLES:
        keyring: AtRestKeyring = getattr(keys, target.keyring)
        report = TableReport(target.table.name)
        reports.append(report)
        after = ""
        while True:
            rows = _read(database, target, keyring, after, batch_size)
            if not rows:
                break
            after = rows[-1].id
            pending = _account(report, rows, dry_run)
            if pending:
                _write(database, target, keyring, pending, report)
            progress(len(rows))
            if pause_s:
                sleep(pause_s)
        whole = not dry_run and not report.unreadable and not report.busy and target.bound
        complete[target.keyring] = complete.get(target.keyring, True) and whole
    sealed = [name for name, whole in complete.items() if whole]
    if sealed:
        with database.transaction() as session:
            for name in sealed:
                ciphertexts.seal(session, name, datetime.now(UTC))
    return reports


def _read(
    database: Database, target: EncryptedTable, keyring: AtRestKeyring, after: str, limit: int
) -> list[_Row]:
    with database.transaction() as session:
        found = ciphertexts.after(session, target.table, target.columns, after, limit)
    return [_plan(target, row_id, values, keyring) for row_id, values in found]


def _reread(
    database: Database, target: EncryptedTable, keyring: AtRestKeyring, ids: Sequence[str]
) -> list[_Row]:
    with database.transaction() as session:
        found = ciphertexts.of_ids(session, target.table, target.columns, ids)
    return [_plan(target, row_id, values, keyring) for row_id, values in found]


def _plan(
    target: EncryptedTable, row_id: str, values: dict[str, str | None], keyring: AtRestKeyring
) -> _Row:
    """Decide what to write (CPU only, outside any transaction)."""
    new: dict[str, str] = {}
    unreadable = False
    for name, value in values.items():
        if value is None:
            continue
        place = place_of(target.table.name, name, row_id) if target.bound else None
        try:
            rewrapped = keyring.rewrap(value, place)
        except DecryptionError:
            unreadable = True
            continue
        if rewrapped is not None:
            new[name] = rewrapped
    return _Row(row_id, values, new, unreadable)


def _account(report: TableReport, rows: list[_Row], dry_run: bool) -> list[_Row]:
    """Count the batch; return the rows to write (none in a dry run)."""
    report.scanned += len(rows)
    pending = []
    for row in rows:
        if row.unreadable:
            report.unreadable.append(row.id)
        if not row.new:
            if not row.unreadable:
                report.current += 1
        elif dry_run:
            report.rewritten += 1
        else:
            pending.append(row)
    return pending


def _write(
    database: Database,
    target: EncryptedTable,
    keyring: AtRestKeyring,
    rows: list[_Row],
    report: TableReport,
) -> None:
    for attempt in range(MAX_RETRIES + 1):
        conflicts: list[str] = []
        with database.transaction() as session:
            for row in rows:
                if ciphertexts.rewrite(session, target.table, row.id, row.old, row.new):
                    report.rewritten += 1
                else:
                    conflicts.append(row.id)
        if not conflicts:
            return
        # Changed (or deleted) by a server since we read it: look again.
        rows = []
        for fresh in _reread(database, target, keyring, conflicts):
            if fresh.new and attempt < MAX_RETRIES:
                rows.append(fresh)
            elif fresh.new:
                report.busy += 1
            elif not fresh.unreadable:
                report.current += 1
        if not rows:
            return


def require_binding(settings: Settings, database: Database) -> Settings:
    """`settings` whose at-rest keyrings refuse unbound values where
    `PAYMENT_AT_REST_REQUIRE_BOUND` says so: `always`, every keyring whose values are bound
    when written; `auto` (the default), in `real` mode, those `rotate-keys` has sealed."""
    policy = settings.at_rest_require_bound
    if policy == "never" or (policy == "auto" and settings.mode != "real"):
        return settings
    names: set[str] = set(BOUND_KEYRINGS)
    if policy == "auto":
        try:
            with database.reading() as session:
                names &= ciphertexts.sealed(session)
        except Exception as error:
            # Not migrated yet (a fresh database, where nothing is sealed), or unreachable: this
            # process reads unbound values; restart it once the database answers.
            log.warning("at-rest seals not read (%s); unbound values stay readable", error)
            return settings
    if not names:
        return settings
    keys = replace(
        settings.keys,
        **{name: replace(getattr(settings.keys, name), refuse_unbound=True) for name in names},
    )
    return replace(settings, keys=keys)
