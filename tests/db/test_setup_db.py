"""`payment-service setup-db` on the local PostgreSQL, with randomly named databases and roles
that each test drops afterwards. Run as the real command, in a subprocess."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import psycopg.sql
import pytest
from sqlalchemy.engine import make_url

from payment_service.db import Database, scram
from payment_service.db.migrate import current_revision, head_revision
from tests.conftest import POSTGRES_ENV, _postgres_server
from tests.support.servers import accepting


@dataclass
class Names:
    admin_url: str
    database: str
    owner: str
    reader: str
    schema: str = "payments"

    @property
    def owner_url(self) -> str:
        url = make_url(self.admin_url).set(
            username=self.owner, password="owner-secret", database=self.database
        )
        return url.render_as_string(hide_password=False)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAYMENT_")}
        env.update(
            PAYMENT_DATABASE_URL=self.owner_url,
            PAYMENT_DATABASE_SCHEMA=self.schema,
            PAYMENT_DATABASE_READONLY_USER=self.reader,
            PAYMENT_DATABASE_READONLY_PASSWORD="reader-secret",
        )
        env.update(extra)
        return env

    def connect(self, user: str | None = None, database: str = "postgres") -> psycopg.Connection:
        url = make_url(self.admin_url)
        return psycopg.connect(
            host=url.host,
            port=url.port,
            user=user or url.username,
            dbname=database,
            autocommit=True,
        )


@pytest.fixture
def names() -> Iterator[Names]:
    admin_url = _postgres_server()
    if admin_url is None:
        pytest.skip(f"no PostgreSQL server answers (set {POSTGRES_ENV} to require one)")
    suffix = uuid.uuid4().hex[:10]
    names = Names(
        admin_url=admin_url,
        database=f"payment_setup_{suffix}",
        owner=f"payment_owner_{suffix}",
        reader=f"payment_reader_{suffix}",
    )
    yield names
    with names.connect() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{names.database}" WITH (FORCE)')
        for role in (names.owner, names.reader, f"{names.owner}_weak"):
            admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def payment_service(
    env: dict[str, str], *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess:
    """`payment-service ARGS` in a subprocess with the environment `env` alone."""
    return subprocess.run(
        [sys.executable, "-m", "payment_service.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def setup_db(names: Names, admin_url: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """setup-db with the administrator's URL in PAYMENT_ADMIN_DATABASE_URL (out of the
    process list)."""
    admin = {"PAYMENT_ADMIN_DATABASE_URL": admin_url or names.admin_url}
    return payment_service(names.env(**admin, **env), "setup-db")


def catalog(names: Names) -> list[tuple]:
    """Everything setup-db may touch, as the server's catalogs describe it."""
    with names.connect(database=names.database) as connection:
        rows: list[tuple] = []
        for query in (
            "SELECT rolname, rolcanlogin, rolpassword IS NOT NULL FROM pg_authid "
            f"WHERE rolname IN ('{names.owner}', '{names.reader}') ORDER BY 1",
            "SELECT datname, pg_get_userbyid(datdba), datacl::text FROM pg_database "
            f"WHERE datname = '{names.database}'",
            "SELECT nspname, pg_get_userbyid(nspowner), nspacl::text FROM pg_namespace "
            "WHERE nspname IN ('payments', 'public') ORDER BY 1",
            "SELECT relname, pg_get_userbyid(relowner), relacl::text FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'payments' ORDER BY 1",
            "SELECT defaclrole::regrole::text, defaclacl::text FROM pg_default_acl",
            # A catalog the whole server shares: the settings of this test's database and
            # roles, since other tests run alongside.
            "SELECT setdatabase::text, setrole::regrole::text, setconfig::text "
            "FROM pg_db_role_setting WHERE setdatabase = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            f"OR setrole::regrole::text IN ('{names.owner}', '{names.reader}') ORDER BY 1, 2",
            "SELECT version_num FROM payments.alembic_version",
        ):
            rows.append(tuple(connection.execute(query).fetchall()))
        return rows


def test_setup_db_creates_database_roles_schema_and_tables_and_a_second_run_changes_nothing(
    names: Names,
):
    first = setup_db(names)
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == [
        f"created role {names.owner}",
        f"created role {names.reader}",
        f"created database {names.database} owned by {names.owner}",
        f"created schema payments owned by {names.owner}",
        f"role {names.reader} may read every table of payments, now and later",
        f"schema payments of {names.database} is at revision {head_revision()}",
    ]
    before = catalog(names)

    second = setup_db(names)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout
    assert catalog(names) == before

    # The tables live in the schema, belong to the owner; the server finds them there.
    tables = dict((name, owner) for name, owner, _ in before[3])
    assert tables["payment_histories"] == names.owner
    assert tables["alembic_version"] == names.owner
    database = Database(names.owner_url, "payments")
    assert current_revision(database) == head_revision()
    database.dispose()
    with names.connect(database=names.database) as connection:
        found = connection.execute("SELECT to_regclass('public.payment_histories')").fetchone()
        assert found == (None,)


def test_the_read_only_role_reads_every_table_now_and_later_and_writes_none(names: Names):
    assert setup_db(names).returncode == 0
    with names.connect(user=names.owner, database=names.database) as owner:
        owner.execute("INSERT INTO payments.alembic_version VALUES ('x')")
        # A table a later migration creates: the default privileges cover it.
        owner.execute("CREATE TABLE payments.later_table (id int)")
    with names.connect(user=names.reader, database=names.database) as reader:
        # Its search_path is the schema: no qualification needed.
        assert reader.execute("SELECT count(*) FROM payment_histories").fetchone() == (0,)
        assert reader.execute("SELECT count(*) FROM later_table").fetchone() == (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("DELETE FROM alembic_version")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            reader.execute("CREATE TABLE payments.mine (id int)")


def test_the_server_commands_use_the_schema(names: Names):
    assert setup_db(names).returncode == 0
    env = names.env()
    result = payment_service(env, "webhooks", "list")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "(none)"
    # Without the schema setting, the same database has no tables where the server looks.
    env["PAYMENT_DATABASE_SCHEMA"] = "public"
    result = payment_service(env, "webhooks", "list")
    assert result.returncode == 1
    assert "no schema yet" in result.stderr


def test_sqlite_is_refused_clearly(names: Names, tmp_path):
    result = setup_db(names, PAYMENT_DATABASE_URL=f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "payment-service: PAYMENT_DATABASE_URL must be a PostgreSQL URL"
    )
    assert "SQLite needs no set-up" in result.stderr
    result = setup_db(names, admin_url=f"sqlite:///{tmp_path / 'admin.sqlite3'}")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "payment-service: the administrator's URL must be a PostgreSQL URL"
    )


def test_an_unreachable_server_is_reported_without_a_traceback(names: Names):
    result = setup_db(names, admin_url="postgresql+psycopg://postgres:pw@127.0.0.1:1/postgres")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "payment-service: cannot connect to postgresql+psycopg://postgres:***@127.0.0.1:1/postgres"
    )
    assert "Traceback" not in result.stderr and ":pw@" not in result.stderr


def test_wrong_admin_credentials_are_reported_and_nothing_is_created(names: Names):
    wrong = make_url(names.admin_url).set(username=f"nobody_{uuid.uuid4().hex[:8]}")
    result = setup_db(names, admin_url=wrong.render_as_string(hide_password=False))
    assert result.returncode == 1
    assert "cannot connect to" in result.stderr
    assert f'role "{wrong.username}" does not exist' in result.stderr
    assert "Traceback" not in result.stderr
    with names.connect() as admin:
        found = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (names.database,))
        assert found.fetchone() is None


def test_an_admin_without_the_privileges_gets_the_servers_reason(names: Names):
    weak = f"{names.owner}_weak"
    with names.connect() as admin:
        admin.execute(f'CREATE ROLE "{weak}" LOGIN')
    url = make_url(names.admin_url).set(username=weak).render_as_string(hide_password=False)
    result = setup_db(names, admin_url=url)
    assert result.returncode == 1
    assert result.stderr.startswith(f"payment-service: setting up {names.database} failed: ")
    assert "permission denied to create role" in result.stderr


def test_schema_names_a_missing_namespace_it_may_not_create(names: Names):
    assert setup_db(names).returncode == 0
    reader = make_url(names.owner_url).set(username=names.reader, password="reader-secret")
    env = names.env(
        PAYMENT_DATABASE_URL=reader.render_as_string(hide_password=False),
        PAYMENT_DATABASE_SCHEMA="elsewhere",
    )
    result = payment_service(env, "schema")
    assert result.returncode == 1
    assert result.stderr.startswith(
        "payment-service: the schema elsewhere does not exist and cannot be created "
        "(permission denied for database"
    )
    assert "run `payment-service setup-db`" in result.stderr


# -- secrets kept out of the process list and the server's logs (issue 24 item 11) ----------


def test_the_admin_url_comes_from_the_environment_or_standard_input(names: Names):
    from_stdin = payment_service(
        names.env(), "setup-db", "--admin-url", "-", stdin=names.admin_url + "\n"
    )
    assert from_stdin.returncode == 0, from_stdin.stderr
    assert f"schema payments of {names.database} is at revision" in from_stdin.stdout
    from_env = setup_db(names)
    assert from_env.returncode == 0, from_env.stderr
    assert "created" not in from_env.stdout
    missing = payment_service(names.env(), "setup-db")
    assert missing.returncode == 1
    assert "PAYMENT_ADMIN_DATABASE_URL" in missing.stderr and "--admin-url -" in missing.stderr


def test_a_password_on_the_command_line_is_warned_about(names: Names):
    url = make_url(names.admin_url).set(password="visible-to-ps")
    result = payment_service(
        names.env(), "setup-db", "--admin-url", url.render_as_string(hide_password=False)
    )
    assert result.returncode == 0, result.stderr  # (trust: the password is not checked)
    assert "process list" in result.stderr and "visible-to-ps" not in result.stderr


class Recorder:
    """A TCP relay in front of PostgreSQL that keeps every byte the client sent."""

    def __init__(self, upstream: tuple[str, int]):
        self.upstream = upstream
        self.sent = bytearray()
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        accepting(self.listener, self.stopped, self._serve).start()

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)

        def pump(source: socket.socket, target: socket.socket, record: bool) -> None:
            try:
                while chunk := source.recv(65536):
                    if record:
                        with self.lock:
                            self.sent += chunk
                    target.sendall(chunk)
            except OSError:
                pass
            finally:
                for end in (source, target):
                    with contextlib.suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

        back = threading.Thread(target=pump, args=(server, client, False), daemon=True)
        back.start()
        pump(client, server, True)
        back.join(10)
        client.close()
        server.close()

    def stop(self) -> None:
        self.stopped.set()
        self.listener.close()


def test_role_passwords_reach_the_server_only_as_scram_verifiers(names: Names):
    admin = make_url(names.admin_url)
    recorder = Recorder((admin.host or "127.0.0.1", admin.port or 5432))
    try:
        through = admin.set(host="127.0.0.1", port=recorder.port)
        result = setup_db(names, admin_url=through.render_as_string(hide_password=False))
    finally:
        recorder.stop()
    assert result.returncode == 0, result.stderr
    sent = bytes(recorder.sent)
    assert b"CREATE ROLE" in sent and b"SCRAM-SHA-256$4096:" in sent
    assert b"owner-secret" not in sent and b"reader-secret" not in sent
    with names.connect() as connection:
        stored = dict(
            connection.execute(
                "SELECT rolname, rolpassword FROM pg_authid WHERE rolname IN (%s, %s)",
                (names.owner, names.reader),
            ).fetchall()
        )
    assert scram.matches(stored[names.owner], "owner-secret")
    assert scram.matches(stored[names.reader], "reader-secret")
    assert not scram.matches(stored[names.owner], "reader-secret")


@pytest.mark.parametrize("password", ["owner-secret", "pässwörd ﬁ", "x"])
def test_verifiers_made_here_are_the_ones_postgresql_makes(names: Names, password: str):
    role = f"{names.owner}_weak"
    with names.connect() as connection:
        connection.execute("SET password_encryption = 'scram-sha-256'")
        connection.execute(
            psycopg.sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                psycopg.sql.Identifier(role), psycopg.sql.Literal(password)
            )
        )
        [(made,)] = connection.execute(
            "SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)
        ).fetchall()
    assert made.startswith("SCRAM-SHA-256$")
    assert scram.matches(made, password)
    assert not scram.matches(made, password + "!")
