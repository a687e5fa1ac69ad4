"""`payment-service setup-db`: what the server needs on a PostgreSQL server, made idempotently.

With an administrator's connection: the owner role (user and password of
PAYMENT_DATABASE_URL), the database (owned by it), the schema namespace PAYMENT_DATABASE_SCHEMA
(owned by it), optionally a read-only role with SELECT on every table of that schema now and
later; then, connected as the owner, the migrations to head, so the tables belong to the owner.
Each step looks before it acts, so a second run changes nothing and says so.

Nothing secret travels where others can read it: the administrator's URL comes from
PAYMENT_ADMIN_DATABASE_URL or standard input (`--admin-url` on the command line stays possible,
but its password would be in the process list, and is warned about), and role passwords are
sent as SCRAM-SHA-256 verifiers computed here (`scram`), so no statement log holds them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from sqlalchemy.engine import URL, make_url

from ..errors import Unavailable
from .migrate import upgrade
from .scram import verifier
from .session import Database


class SetupError(Unavailable):
    """setup-db cannot do its job; the message says why (no traceback for operators)."""


@dataclass(frozen=True)
class Target:
    """What to create, from the settings."""

    database_url: str
    schema: str = "public"
    readonly_user: str | None = None
    readonly_password: str | None = None


def _postgres(url: str, what: str) -> URL:
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise SetupError(
            f"{what} must be a PostgreSQL URL (postgresql+psycopg://…), not "
            f"{parsed.get_backend_name()}: SQLite needs no set-up (`payment-service schema` "
            "creates the file and its tables)"
        )
    return parsed


def _connect(url: URL, database: str | None = None) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            host=url.host or None,
            port=url.port or None,
            user=url.username or None,
            password=url.password or None,
            dbname=database or url.database or "postgres",
            connect_timeout=10,
            autocommit=True,
        )
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[-1] if str(error).strip() else "no answer"
        shown = url.set(database=database or url.database).render_as_string(hide_password=True)
        raise SetupError(f"cannot connect to {shown}: {reason}") from None


def _exists(connection: psycopg.Connection[Any], query: str, *parameters: Any) -> bool:
    return connection.execute(query, parameters).fetchone() is not None


def setup_database(admin_url: str, target: Target, say: Callable[[str], None] = print) -> str:
    """Create what is missing, migrate to head, and return the revision reached."""
    admin = _postgres(admin_url, "the administrator's URL")
    owner_url = _postgres(target.database_url, "PAYMENT_DATABASE_URL")
    owner, name = owner_url.username, owner_url.database
    if not owner or not name:
        raise SetupError("PAYMENT_DATABASE_URL must name a user and a database")
    if target.readonly_user and not target.readonly_password:
        raise SetupError("PAYMENT_DATABASE_READONLY_PASSWORD is needed for the read-only role")
    role, database, schema = sql.Identifier(owner), sql.Identifier(name), target.schema

    try:
        with _connect(admin) as connection:
            _role(connection, owner, owner_url.password, say)
            if target.readonly_user:
                _role(connection, target.readonly_user, target.readonly_password, say)
            if _exists(connection, "SELECT 1 FROM pg_database WHERE datname = %s", name):
                say(f"database {name} exists")
            else:
                connection.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(database, role))
                say(f"created database {name} owned by {owner}")
            connection.execute(
                sql.SQL("GRANT CONNECT, CREATE, TEMPORARY ON DATABASE {} TO {}").format(
                    database, role
                )
            )
        with _connect(admin, name) as connection:
            _schema(connection, schema, owner, target.readonly_user, say)
    except psycopg.Error as error:
        raise SetupError(f"setting up {name} failed: {str(error).strip()}") from None

    # Migrate as the owner, so that the owner owns the tables (and its default privileges
    # give the read-only role SELECT on each).
    owner_database = Database(target.database_url, schema)
    try:
        revision = upgrade(owner_database)
    finally:
        owner_database.dispose()
    say(f"schema {schema} of {name} is at revision {revision}")
    return revision


def _role(
    connection: psycopg.Connection[Any], name: str, password: str | None, say: Callable[[str], None]
) -> None:
    """A login role with `password`; an existing one keeps its password (changing a
    password is an operator's decision; setup-db never does it behind their back). The server
    is sent the password's SCRAM-SHA-256 verifier, never the password itself."""
    if _exists(connection, "SELECT 1 FROM pg_roles WHERE rolname = %s", name):
        say(f"role {name} exists")
        return
    statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name))
    if password:
        statement = sql.SQL("{} PASSWORD {}").format(statement, sql.Literal(verifier(password)))
    connection.execute(statement)
    say(f"created role {name}")


def _schema(
    connection: psycopg.Connection[Any],
    schema: str,
    owner: str,
    readonly: str | None,
    say: Callable[[str], None],
) -> None:
    namespace, role = sql.Identifier(schema), sql.Identifier(owner)
    if _exists(connection, "SELECT 1 FROM pg_namespace WHERE nspname = %s", schema):
        say(f"schema {schema} exists")
    else:
        connection.execute(sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(namespace, role))
        say(f"created schema {schema} owned by {owner}")
    # `public` may belong to someone else (pg_database_owner); the owner must create in it.
    connection.execute(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(namespace, role))
    # psql and other tools connecting as these roles see the tables without qualifying them.
    for name in filter(None, (owner, readonly)):
        connection.execute(
            sql.SQL("ALTER ROLE {} IN DATABASE {} SET search_path TO {}").format(
                sql.Identifier(name), sql.Identifier(connection.info.dbname), namespace
            )
        )
    if readonly:
        reader = sql.Identifier(readonly)
        connection.execute(
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(connection.info.dbname), reader
            )
        )
        connection.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(namespace, reader))
        # Tables that exist now, and every table the owner creates later (new migrations).
        connection.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(namespace, reader)
        )
        connection.execute(
            sql.SQL(
                "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT ON TABLES TO {}"
            ).format(role, namespace, reader)
        )
        say(f"role {readonly} may read every table of {schema}, now and later")
