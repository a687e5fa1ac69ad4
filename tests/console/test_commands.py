"""`payment-service operators ...` and `payment-service audit`, as an administrator runs them."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from payment_service import cli
from payment_service.console import operators, passwords
from payment_service.db import Database
from payment_service.db.queries import operators as rows
from tests.support.cli import run_cli

from .support import PASSWORD


@pytest.fixture
def env(database_url: str) -> dict[str, str]:
    return {"PAYMENT_DATABASE_URL": database_url, "PAYMENT_LOAD_PLUGINS": "false"}


def stored(database_url: str) -> list[tuple[str, str, bool]]:
    database = Database(database_url)
    try:
        return [(o.email, o.role, o.disabled) for o in operators.every(database)]
    finally:
        database.dispose()


def test_there_is_no_operator_until_one_is_added(env, database_url):
    listed = run_cli("operators", "list", env=env)
    assert listed.status == 0
    assert "(none)" in listed.stdout
    assert stored(database_url) == []


def test_add_reads_the_password_from_the_environment_and_hashes_it_with_argon2id(env, database_url):
    added = run_cli(
        "operators", "add", "Ops@Example.com", "--role", "operator",
        env={**env, "PAYMENT_OPERATOR_PASSWORD": PASSWORD},
    )  # fmt: skip
    assert added.status == 0, added.stderr
    assert added.stdout == "added ops@example.com (operator)\n"
    database = Database(database_url)
    try:
        with database.reading() as session:
            row = rows.by_email(session, "ops@example.com")
            assert row is not None
            hashed = row.password
    finally:
        database.dispose()
    assert hashed.startswith("$argon2id$")
    assert PASSWORD not in hashed
    assert passwords.verify(hashed, PASSWORD)


def test_add_reads_the_password_from_standard_input(env, database_url):
    # Input on stdin: run_cli takes none.
    environ = {**env, "PAYMENT_OPERATOR_PASSWORD": None}
    done = CliRunner().invoke(
        cli.main,
        ["operators", "add", "viewer@example.com", "--role", "viewer"],
        input=PASSWORD + "\n",
        env=environ,
    )
    assert done.exit_code == 0, done.output
    assert stored(database_url) == [("viewer@example.com", "viewer", False)]


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (["a@example.com", "--role", "root"], PASSWORD, "Invalid value for '--role'"),
        (["not-an-email", "--role", "viewer"], PASSWORD, "is not an email address"),
        (["a@example.com", "--role", "viewer"], "short", "at least 12 characters"),
        (["a@example.com", "--role", "viewer", "--password", PASSWORD], PASSWORD, "No such option"),
    ],
)
def test_a_bad_operator_is_refused_and_nothing_is_stored(
    env, database_url, args, password, message
):
    done = run_cli("operators", "add", *args, env={**env, "PAYMENT_OPERATOR_PASSWORD": password})
    assert done.status != 0
    assert message in done.stderr
    assert stored(database_url) == []


def test_list_disable_set_role_and_the_audit_of_it_all(env, database_url):
    with_password = {**env, "PAYMENT_OPERATOR_PASSWORD": PASSWORD}
    assert (
        run_cli("operators", "add", "a@example.com", "--role", "admin", env=with_password).status
        == 0
    )
    again = run_cli("operators", "add", "A@example.com", "--role", "viewer", env=with_password)
    assert again.status == 1
    assert "exists already" in again.stderr
    assert run_cli("operators", "set-role", "a@example.com", "viewer", env=env).status == 0
    assert run_cli("operators", "disable", "a@example.com", env=env).status == 0
    missing = run_cli("operators", "disable", "b@example.com", env=env)
    assert missing.status == 1
    assert "No operator b@example.com." in missing.stderr
    listed = run_cli("operators", "list", env=env)
    assert "a@example.com" in listed.stdout and "disabled" in listed.stdout
    assert stored(database_url) == [("a@example.com", "viewer", True)]

    printed = run_cli("audit", "--json", env=env)
    assert printed.status == 0
    entries = [json.loads(line) for line in printed.stdout.splitlines()]
    assert [(e["operator"], e["action"], e["target"]) for e in reversed(entries)] == [
        ("cli", "operator.add", "a@example.com"),
        ("cli", "operator.set_role", "a@example.com"),
        ("cli", "operator.disable", "a@example.com"),
    ]
    assert run_cli("audit", "--since", "2999-01-01", "--json", env=env).stdout == ""
    text = run_cli("audit", "--since", "2000-01-01", env=env)
    assert text.stdout.count("operator.") == 3
    assert run_cli("audit", "--since", "yesterday", env=env).status == 2
