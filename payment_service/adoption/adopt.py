"""`payment-service adopt-original`: take over a database of `@samchon/payment-backend`.

The original's tables are changed in place, in one transaction (PostgreSQL's DDL is
transactional): first every check, with the tables locked; then the conversion to revision
`0001`, stamped and marked as adopted; then the commit. A crash or a failed check before the
commit leaves the original's database exactly as it was. After the commit, the ordinary
upgrade to head runs (in Alembic's own transaction); a crash there leaves an adopted schema at
an older revision, which a second run (or `payment-service schema`) brings to head.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from ..db import Database
from ..db.migrate import current_revision, head_revision, upgrade
from ..db.session import use_schema
from ..errors import Unavailable
from ..settings import Settings
from . import checks, money, original
from .catalog import Table, describe, quote, references_from_elsewhere, schema_exists
from .conversion import MARKER, REVISION, ConversionFailed, plan

APPLICATION_NAME = "payment-service adopt-original"
"""How the adoption's connections show in pg_stat_activity."""
LOCK_TIMEOUT_S = 10

Say = Callable[[str], None]


class AdoptionRefused(Exception):
    """The database cannot be adopted (or the adoption failed and was rolled back); the
    message says why, in full."""


@dataclass
class Survey:
    """What the adoption found in the schema."""

    schema: str
    tables: dict[str, Table] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    amounts: int = 0
    inexact: list[money.Inexact] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    delivered: int = 0
    undelivered: int = 0
    others: list[str] = field(default_factory=list)
    """Tables of the schema that are not the original's: left as they are."""

    @property
    def problems(self) -> list[str]:
        found = [f"{len(self.inexact)} amount(s) are not exact in NUMERIC(20,4)"]
        return (found if self.inexact else []) + self.findings


@dataclass
class Outcome:
    survey: Survey | None
    revision: str | None
    adopted_now: bool


def adopt(settings: Settings, schema: str, *, dry_run: bool, say: Say) -> Outcome:
    """Adopt (or with `dry_run`, only survey and describe) the original's tables in `schema` of
    the configured database. Raises AdoptionRefused with every reason to refuse."""
    url = settings.database_url
    if make_url(url).get_backend_name() != "postgresql":
        raise AdoptionRefused(
            "adopt-original works on PostgreSQL only (the original server's database); "
            f"PAYMENT_DATABASE_URL is a {make_url(url).get_backend_name()} URL"
        )
    engine = _engine(url, schema, settings.database_timeout_s)
    try:
        with engine.connect() as connection:
            outcome = _adopt(connection, settings, schema, dry_run, say)
    except DBAPIError as error:
        raise AdoptionRefused(_database_error(error, dry_run)) from None
    finally:
        engine.dispose()
    if dry_run or outcome.revision is None:
        return outcome
    outcome.revision = _upgrade(settings, schema, say)
    return outcome


def _adopt(
    connection: Connection, settings: Settings, schema: str, dry_run: bool, say: Say
) -> Outcome:
    with connection.begin() as transaction:
        if dry_run:
            connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"))
        else:
            connection.execute(text(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_S}s'"))
        # Doubles print as their shortest exact text (money.conversion reads them so).
        connection.execute(text("SET LOCAL extra_float_digits = 1"))
        if not schema_exists(connection, schema):
            raise AdoptionRefused(
                f"the schema {schema} does not exist in this database: give the schema the "
                "original server used (--schema)"
            )
        found = describe(connection, schema)
        adopted = _adopted(connection, schema, found, say)
        if adopted is not None:
            transaction.rollback()
            return adopted
        _refuse_unless_original(connection, schema, found)
        if not dry_run:
            # Nobody writes while the rows are checked and changed (the original should be
            # stopped; if it is not, its requests wait, then fail on the new types).
            tables = ", ".join(quote(t) for t in original.TABLES)
            connection.execute(text(f"LOCK TABLE {tables} IN ACCESS EXCLUSIVE MODE"))
        found = describe(connection, schema)
        adopted = _adopted(connection, schema, found, say)
        if adopted is not None:  # another run adopted it while this one waited for the lock
            transaction.rollback()
            return adopted
        survey = _survey(connection, settings, schema, found)
        _report(survey, say, dry_run)
        if survey.problems:
            transaction.rollback()
            raise AdoptionRefused(_refusal(survey))
        now = datetime.now(UTC)
        steps = plan(found, settings.keys.webhook, now)
        if dry_run:
            say("would, in one transaction:")
            for number, step in enumerate(steps, 1):
                say(f"  {number}. {step.says}")
            say(f"then upgrade to head ({head_revision()}), adding payment-service's own tables")
            say("dry run: nothing was changed")
            transaction.rollback()
            return Outcome(survey, None, adopted_now=False)
        say("adopting, in one transaction:")
        for number, step in enumerate(steps, 1):
            say(f"  {number}. {step.says}")
            try:
                step.run(connection)
            except ConversionFailed as error:
                raise AdoptionRefused(f"{error}; nothing was changed") from None
        after = _counts(connection)
        if after != survey.counts:
            raise AdoptionRefused(
                f"row counts changed during the conversion ({survey.counts} → {after}); "
                "nothing was changed"
            )
        transaction.commit()
    say(f"committed: schema {schema} is payment-service's at revision {REVISION}")
    return Outcome(survey, REVISION, adopted_now=True)


def _adopted(
    connection: Connection, schema: str, found: dict[str, Table], say: Say
) -> Outcome | None:
    """The outcome if the schema is already adopted (then only the upgrade to head may be
    left); AdoptionRefused if it is payment-service's own; None if it is not ours at all."""
    version = found.get("alembic_version")
    if version is None:
        return None
    revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    if version.comment and version.comment.startswith(MARKER):
        say(f"nothing to adopt: schema {schema} was {version.comment} (revision {revision})")
        return Outcome(None, revision, adopted_now=False)
    raise AdoptionRefused(
        f"schema {schema} already holds payment-service's own tables (Alembic revision "
        f"{revision}), not the original's: there is nothing to adopt"
    )


def _refuse_unless_original(connection: Connection, schema: str, found: dict[str, Table]) -> None:
    differences = original.differences(found)
    references = references_from_elsewhere(connection, schema, set(original.TABLES))
    differences += [
        f"{ref.table} has a foreign key ({ref.name}) to the original's tables: drop it first"
        for ref in references
    ]
    if differences:
        raise AdoptionRefused(
            f"schema {schema} does not hold the tables of @samchon/payment-backend:\n"
            + "\n".join(f"  - {difference}" for difference in differences)
        )


def _survey(
    connection: Connection, settings: Settings, schema: str, found: dict[str, Table]
) -> Survey:
    _refuse_unless_original(connection, schema, found)  # again: now that the tables are locked
    survey = Survey(schema, tables=found)
    survey.others = sorted(set(found) - set(original.TABLES))
    survey.counts = _counts(connection)
    survey.amounts, survey.inexact = money.scan(connection)
    survey.findings = checks.every_finding(connection, settings.keys)
    survey.delivered, survey.undelivered = connection.execute(
        text(
            "SELECT count(*) FILTER (WHERE delivered), count(*) FILTER (WHERE NOT delivered) "
            "FROM (SELECT coalesce(bool_or(r.status BETWEEN 200 AND 299), false) AS delivered "
            "FROM payment_history_webhooks w LEFT JOIN payment_history_webhook_responses r "
            "ON r.payment_history_webhook_id = w.id GROUP BY w.id) x"
        )
    ).one()
    return survey


def _counts(connection: Connection) -> dict[str, int]:
    return {
        table: int(connection.execute(text(f"SELECT count(*) FROM {quote(table)}")).scalar_one())
        for table in original.TABLES
    }


def _report(survey: Survey, say: Say, dry_run: bool) -> None:
    say(
        f"schema {survey.schema} holds the tables of @samchon/payment-backend"
        + (" (dry run: nothing is changed)" if dry_run else "")
    )
    say("rows:")
    for table, count in survey.counts.items():
        say(f"  {table:36} {count:>9}")
    if survey.inexact:
        say(f"amounts: {len(survey.inexact)} of {survey.amounts} are not exact in NUMERIC(20,4):")
        for inexact in survey.inexact:  # every one: the list of rows to correct
            say(f"  {inexact}")
    else:
        say(f"amounts: all {survey.amounts} are exact in NUMERIC(20,4)")
    say(
        f"outgoing webhooks: {survey.delivered} delivered by the original, "
        f"{survey.undelivered} not delivered (kept as failed, not sent again: "
        "`payment-service webhooks retry ID` sends one)"
    )
    if survey.others:
        say(f"other tables, left as they are: {', '.join(survey.others)}")
    for finding in survey.findings:
        say(f"problem: {finding}")


def _refusal(survey: Survey) -> str:
    lines = [f"schema {survey.schema} cannot be adopted as it is; nothing was changed:"]
    if survey.inexact:
        lines.append(
            f"  - {len(survey.inexact)} amount(s) are not exact in NUMERIC(20,4) (listed "
            "above): correct them in the original's database, then run again"
        )
    lines += [f"  - {finding}" for finding in survey.findings]
    return "\n".join(lines)


def _upgrade(settings: Settings, schema: str, say: Say) -> str:
    database = Database(settings.database_url, schema, timeout_s=settings.database_timeout_s)
    try:
        before = current_revision(database)
        target = head_revision()
        if before != target:
            say(f"upgrading from revision {before} to head ({target})")
        reached = upgrade(database)
    except (Unavailable, DBAPIError) as error:
        reason = (
            getattr(error, "detail", error.message)
            if isinstance(error, Unavailable)
            else "".join(str(error.orig or error).strip().splitlines()[:1])
        )
        raise AdoptionRefused(
            f"the adoption is committed, but the upgrade to head failed: {reason}. Run "
            "adopt-original (or `payment-service schema`) again to finish it"
        ) from None
    finally:
        database.dispose()
    say(f"schema {schema} is at revision {reached} (head)")
    return reached


def _engine(url: str, schema: str, timeout_s: float) -> Engine:
    # Connections of its own, without the servers' statement timeout: rewriting big tables
    # may rightly take long. Waiting for a lock is bounded (LOCK_TIMEOUT_S) instead.
    engine = create_engine(
        url,
        poolclass=NullPool,
        connect_args={
            "connect_timeout": max(2, int(timeout_s + 0.999)),
            "application_name": APPLICATION_NAME,
        },
    )
    use_schema(engine, schema)
    return engine


def _database_error(error: DBAPIError, dry_run: bool) -> str:
    reason = "".join(str(error.orig or error).strip().splitlines()[:1])
    if "lock timeout" in reason:
        reason = (
            f"the original's tables stayed in use for {LOCK_TIMEOUT_S} s (lock timeout): "
            "stop the original server first"
        )
    tail = "" if dry_run else "; the transaction was rolled back, nothing was changed"
    return f"the database refused: {reason}{tail}"
