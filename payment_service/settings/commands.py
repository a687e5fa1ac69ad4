"""`payment-service settings [--markdown] [--role ROLE]` and `payment-service keys generate`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from . import read, variables
from .keys import generated_keys
from .loading import DEFAULT, Sources
from .reference import by_topic, markdown
from .schema import Declaration, Role, Variable, declared_fields

if TYPE_CHECKING:
    from ..vendors.settings import PluginSettings

COMMENT_COLUMN = 56


def plugin_declarations(load_entry_points: bool = True) -> list[PluginSettings]:
    """What the installed vendor plugins declare they read (nothing is configured or
    connected: only their `register_settings` runs)."""
    # The plugin machinery imports the settings; only these commands need it the other way.
    from ..vendors.plugins import build_manager, declared_settings

    declared = declared_settings(build_manager(load_entry_points=load_entry_points))
    return sorted(declared.values(), key=lambda plugin: plugin.vendor_codes)


def _declared(settings: Any) -> Iterator[tuple[Variable, Declaration, Any]]:
    """Each declared variable with the declaration that reads it and that field's value."""
    for name, declaration in declared_fields(type(settings)):
        value = getattr(settings, name)
        for variable in declaration.variables:
            yield variable, declaration, value


def _line(name: str, shown: str, comment: str) -> str:
    assignment = f"{name}={shown}"
    return f"{assignment.ljust(COMMENT_COLUMN - 2)}  # {comment}"


def effective(sources: Sources, role: Role | None) -> tuple[list[str], list[str]]:
    """The lines of `payment-service settings` (an env file, secrets shown as ***) and the
    configuration's problems."""
    settings, problems = read(sources)
    invalid = {problem.split(":", 1)[0].split("[", 1)[0] for problem in problems}
    shown: dict[str, str] = {}
    for variable, declaration, value in _declared(settings):
        given = sources.given(variable.name)
        if variable.name in invalid and given is not None:
            shown[variable.name] = variable.shown_text(given)
        else:
            shown[variable.name] = declaration.shown(variable, value, given)
    lines = [f"# payment-service settings in effect (mode {settings.mode}); secrets as ***"]
    plugins = plugin_declarations(settings.load_plugins)
    plugin_variables = [v for plugin in plugins for v in plugin.variables]
    for variable in plugin_variables:
        given = sources.given(variable.name)
        shown[variable.name] = "" if given is None else variable.shown_text(given)
    for topic, members in by_topic([*variables(), *plugin_variables]).items():
        chosen = [v for v in members if role is None or role in v.roles]
        if not chosen:
            continue
        lines.append(f"# {topic}")
        for variable in chosen:
            source = sources.source(variable.name)
            comment = source
            if variable.name in invalid:
                comment = "not set: see the problems" if source == DEFAULT else f"{source}, invalid"
            lines.append(_line(variable.name, shown[variable.name], comment))
    known = {v.name for v in variables()} | {v.name for v in plugin_variables}
    unread = sorted(
        name
        for name in sources.values
        if name.startswith("PAYMENT_") and name not in known and sources.given(name)
    )
    if unread:
        lines.append(f"# set, but read by nothing here (a typo?): {', '.join(unread)}")
    return lines, problems


@click.command("settings")
@click.option("--markdown", "as_markdown", is_flag=True, help="Print the reference instead.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    default=None,
    help="Only what this process role reads.",
)
def settings_command(as_markdown: bool, role: str | None) -> None:
    """Print the configuration in effect (secrets as ***), where each value comes from, and
    any problem with it; with --markdown, the reference of every setting.

    Exit status 2 when the configuration has problems (listed on stderr).
    """
    if as_markdown:
        click.echo(markdown(variables(), plugin_declarations()), nl=False)
        return
    lines, problems = effective(Sources.gather(), Role(role) if role else None)
    click.echo("\n".join(lines))
    if problems:
        click.echo(
            "payment-service: invalid configuration:\n"
            + "\n".join(f"  - {problem}" for problem in problems),
            err=True,
        )
        sys.exit(2)


@click.group("keys")
def keys_group() -> None:
    """Generate the keys `dev` and `real` mode need."""


@keys_group.command("generate")
def keys_generate() -> None:
    """Print fresh keys, IVs, a webhook signing secret and a fingerprint key as an env file.

    Enough for `real` mode: add PAYMENT_MODE=real and PAYMENT_DATABASE_URL, keep the file
    secret (chmod 600) and backed up: without its keys, the stored records cannot be read.
    """
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    click.echo(f"# payment-service keys generated {stamp} by `payment-service keys generate`.")
    click.echo("# Keep this file secret and backed up: the stored records need these keys.")
    for name, value in generated_keys().items():
        click.echo(f"{name}={value}")
