"""`payment-service operators ...` and `payment-service audit`: the console's operators and
its audit log from the command line. Operator changes made here are audited too (operator
`cli`, client `cli`)."""

from __future__ import annotations

import json
import os
import sys

import click

from ..commandline import fail, load_settings, open_database
from ..errors import ServiceError
from ..payments.reconcile import parse_instant
from ..payments.views import iso
from ..runtime import utcnow
from . import audit, operators
from .permissions import ROLES

PASSWORD_VARIABLE = "PAYMENT_OPERATOR_PASSWORD"
CLI = "cli"


def _read_password() -> str:
    """The new operator's password: PAYMENT_OPERATOR_PASSWORD, else standard input (a prompt
    on a terminal, the first line otherwise). Never an argument: those show in `ps`."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


@click.group("operators")
def operators_group() -> None:
    """Operators of the console at /console (docs/console.md)."""


@operators_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(list(ROLES)), required=True)
def operators_add(email: str, role: str) -> None:
    """Add an operator; the password comes from standard input or PAYMENT_OPERATOR_PASSWORD."""
    password = _read_password()
    database = open_database(load_settings())
    try:
        operator = operators.add(database, email, role, password, utcnow())
    except ServiceError as error:
        fail(error.message)
    audit.append(
        database, utcnow(), operator=CLI, action=audit.OPERATOR_ADD, target=operator.email,
        reason=f"role {role}",
    )  # fmt: skip
    click.echo(f"added {operator.email} ({operator.role})")


@operators_group.command("list")
def operators_list() -> None:
    """List the operators."""
    database = open_database(load_settings())
    rows = operators.every(database)
    click.echo(f"{'email':40}  {'role':9}  {'state':8}  created_at")
    for row in rows:
        state = "disabled" if row.disabled else "active"
        click.echo(f"{row.email:40}  {row.role:9}  {state:8}  {iso(row.created_at)}")
    if not rows:
        click.echo("(none)")


@operators_group.command("disable")
@click.argument("email")
def operators_disable(email: str) -> None:
    """Disable an operator: no more logins, and its open sessions end."""
    database = open_database(load_settings())
    try:
        operator = operators.disable(database, email, utcnow())
    except ServiceError as error:
        fail(error.message)
    audit.append(
        database, utcnow(), operator=CLI, action=audit.OPERATOR_DISABLE, target=operator.email
    )
    click.echo(f"disabled {operator.email}")


@operators_group.command("set-role")
@click.argument("email")
@click.argument("role", type=click.Choice(list(ROLES)))
def operators_set_role(email: str, role: str) -> None:
    """Give an operator another role (its open sessions get it at their next request)."""
    database = open_database(load_settings())
    try:
        operator = operators.set_role(database, email, role)
    except ServiceError as error:
        fail(error.message)
    audit.append(
        database, utcnow(), operator=CLI, action=audit.OPERATOR_SET_ROLE, target=operator.email,
        reason=f"role {role}",
    )  # fmt: skip
    click.echo(f"{operator.email} is now {operator.role}")


@click.command("audit")
@click.option("--since", default=None, metavar="ISO8601", help="Only entries from then on.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def audit_command(since: str | None, as_json: bool) -> None:
    """Print the console's audit log, the newest entry first."""
    try:
        start = parse_instant(since) if since else None
    except ValueError as error:
        fail(str(error), code=2)
    database = open_database(load_settings())
    rows = audit.entries(database, since=start)
    for row in rows:
        if as_json:
            click.echo(json.dumps(row.to_json(), ensure_ascii=False))
        else:
            click.echo(
                f"{iso(row.at)}  {row.operator or '-'}  {row.action}  {row.target or '-'}  "
                f"{row.outcome}  {row.client}  {row.reason or ''}".rstrip()
            )
    if not rows and not as_json:
        click.echo("(none)")
