"""`payment-service adopt-original [--schema NAME] [--dry-run]`."""

from __future__ import annotations

import click

from ..commandline import fail, load_settings
from ..settings.parsers import IDENTIFIER
from .adopt import AdoptionRefused, adopt


@click.command("adopt-original")
@click.option(
    "--schema",
    default=None,
    metavar="NAME",
    help="The schema of the original's tables [default: PAYMENT_DATABASE_SCHEMA].",
)
@click.option("--dry-run", is_flag=True, help="Check and describe the adoption; change nothing.")
def adopt_original(schema: str | None, dry_run: bool) -> None:
    """Take over a PostgreSQL database of @samchon/payment-backend in place (docs/adoption.md).

    Converts the original's tables into payment-service's schema in one transaction, after
    checking every amount and every ciphertext, then upgrades to head. Run it with the keys
    the original ran with. Exit status: 0 adopted (or already), 1 refused or failed (nothing
    changed), 2 bad configuration.
    """
    settings = load_settings()
    schema = schema or settings.database_schema
    if not IDENTIFIER.fullmatch(schema):
        fail(f"--schema: must be a plain lowercase PostgreSQL name (got {schema!r})", code=2)
    try:
        outcome = adopt(settings, schema, dry_run=dry_run, say=click.echo)
    except AdoptionRefused as error:
        fail(str(error))
    if outcome.adopted_now and schema != settings.database_schema:
        click.echo(
            f"note: PAYMENT_DATABASE_SCHEMA is {settings.database_schema}: start "
            f"payment-service with PAYMENT_DATABASE_SCHEMA={schema}"
        )
    if outcome.adopted_now and outcome.survey is not None and outcome.survey.undelivered:
        click.echo(
            f"{outcome.survey.undelivered} outgoing webhook(s) the original had not delivered "
            "are kept as failed: `payment-service webhooks list --status failed` lists them"
        )
