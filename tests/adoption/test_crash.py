"""An adoption killed half way (kill -9 of its process), then run again, ends adopted and equal
to what the original stored.

To kill it at a known point, the test holds a table of the same name as one the adoption is
about to create, in a transaction of its own left open: PostgreSQL makes the adoption wait
there, and the test kills the process while it waits.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from payment_service.db import Database
from payment_service.db.migrate import current_revision
from tests.support.cli import run_cli
from tests.support.servers import wait_until

from .adopted import assert_adopted
from .original import SCHEMA, dump, environment, process_environment, read

COMMAND = [sys.executable, "-m", "payment_service.cli", "adopt-original"]


@pytest.mark.parametrize(
    ("blocker", "committed"),
    [
        # Created by the last step of the adoption's transaction (the Alembic stamp).
        ("alembic_version", False),
        # Created by migration 0002, in the upgrade to head after the adoption committed.
        ("payment_history_pending_refunds", True),
    ],
)
def test_a_killed_adoption_run_again_ends_adopted_and_equal(original_url, blocker, committed):
    original = read(original_url)
    before = dump(original_url)
    database = make_url(original_url).database
    engine = create_engine(original_url, poolclass=NullPool)  # no session kept open
    holder = engine.connect()
    held = holder.begin()
    holder.execute(text(f"CREATE TABLE {SCHEMA}.{blocker} (held integer)"))
    process = subprocess.Popen(
        COMMAND,
        env=process_environment(original_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_until(lambda: _waiting_for_a_lock(engine, database), timeout=60, interval=0.05)
        process.kill()
        process.wait(timeout=10)
    finally:
        held.rollback()
        holder.close()
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    # The server ends the dead process's session once it has nobody left to answer.
    wait_until(lambda: _sessions(engine, database) == 0, timeout=60, interval=0.1)
    engine.dispose()
    assert process.stdout is not None
    output = process.stdout.read()

    adopted = Database(original_url, SCHEMA)
    revision = current_revision(adopted)
    adopted.dispose()
    if committed:
        assert "committed: schema payments is payment-service's at revision 0001" in output
        assert revision == "0001"
    else:
        assert "14. stamp Alembic revision 0001, marked as adopted" in output
        assert "committed" not in output
        assert revision is None
        assert dump(original_url) == before

    again = run_cli("adopt-original", env=environment(original_url))

    assert again.status == 0, again.stderr
    if committed:
        assert "nothing to adopt: schema payments was adopted" in again.stdout
        assert "upgrading from revision 0001 to head" in again.stdout
    else:
        assert "committed: schema payments is payment-service's at revision 0001" in again.stdout
    assert_adopted(original_url, original)


def _waiting_for_a_lock(engine, database: str) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :database "
                    "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                ),
                {"database": database},
            ).scalar_one()
        )


def _sessions(engine, database: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = :database "
                    "AND pid <> pg_backend_pid()"
                ),
                {"database": database},
            ).scalar_one()
        )
