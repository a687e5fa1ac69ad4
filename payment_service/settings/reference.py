"""The settings reference in Markdown (docs/configuration.md), from the declarations alone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from .schema import Partly, Role, Variable

if TYPE_CHECKING:
    from ..vendors.settings import PluginSettings

COMMAND = "payment-service settings --markdown > docs/configuration.md"

INTRODUCTION = f"""\
# Configuration

<!-- Generated from the declarations in payment_service/settings/ and the plugins'
`register_settings` by `{COMMAND}`.
Edit those, not this file: tests/docs/test_configuration_reference.py fails when it is stale. -->

Everything comes from `PAYMENT_*` environment variables, or from a `.env` file in the working
directory (real variables win). A process checks every variable when it starts and, if any is
wrong, names every problem at once and exits with status 2.

* `payment-service settings` prints the configuration in effect, where each value comes from
  (environment, `.env` or default), secrets shown as `***`; `--role api` (or `sender`,
  `housekeeper`, `fakes`, `cli`) only what that process reads.
* `payment-service keys generate` prints fresh keys, IVs, a webhook signing secret and an
  idempotency fingerprint key as an env file: what `dev` and `real` mode need (see
  [operating](operating.md)).
* *Read by* names the processes that read a variable: `api` (the HTTP server: `serve`,
  gunicorn `wsgi:app`), `sender` (`webhooks deliver`), `housekeeper` (periodic work), `fakes`
  (`payment-service fakes`), `cli` (one-shot commands: `schema`, `setup-db`, `reconcile`,
  `rotate-keys`, `webhooks list`/`retry`). `serve` runs the api with a sender and a
  housekeeper, so it reads all of theirs.
* *Secret* values are never shown: not by `repr` of the settings, not by `/monitors/system`,
  not by `payment-service settings`.
"""

PLUGINS_INTRODUCTION = """\
## Vendor plugins

Each plugin declares the vendor codes whose `PAYMENT_VENDORS` entries are its own, and its own
variables; it is given those and nothing else (never the server's keys or another plugin's
credentials). The plugins installed with this checkout:
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _roles(roles: Sequence[Role]) -> str:
    return ", ".join(role.value for role in Role if role in roles)


def _secret(variable: Variable) -> str:
    if isinstance(variable.secret, Partly):
        return variable.secret.what
    return "yes" if variable.secret else "—"


def table(variables: Iterable[Variable]) -> list[str]:
    lines = [
        "| Variable | Default | Read by | Secret | Meaning |",
        "|---|---|---|---|---|",
    ]
    for variable in variables:
        cells = (
            f"`{variable.name}`",
            variable.default_text(),
            _roles(variable.roles),
            _secret(variable),
            variable.doc,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return lines


def by_topic(variables: Iterable[Variable]) -> dict[str, list[Variable]]:
    """The variables grouped by topic, topics in the order they first appear."""
    topics: dict[str, list[Variable]] = {}
    for variable in variables:
        topics.setdefault(variable.topic, []).append(variable)
    return topics


def markdown(variables: Iterable[Variable], plugins: Iterable[PluginSettings]) -> str:
    lines = [INTRODUCTION]
    for topic, members in by_topic(variables).items():
        lines += [f"## {topic}", "", *table(members), ""]
    declared = sorted(plugins, key=lambda plugin: plugin.vendor_codes)
    if declared:
        lines.append(PLUGINS_INTRODUCTION)
        for plugin in declared:
            codes = ", ".join(f"`{code}`" for code in plugin.vendor_codes)
            title = f"### {codes}"
            if plugin.distribution:
                title += f" (`{plugin.distribution}`)"
            lines += [title, ""]
            entries = ", ".join(f'`PAYMENT_VENDORS["{code}"]`' for code in plugin.vendor_codes)
            lines += [f"{entries}: {plugin.options or 'see the plugin'}.", ""]
            if plugin.variables:
                lines += [*table(plugin.variables), ""]
    return "\n".join(lines).rstrip("\n") + "\n"
