"""What a vendor plugin declares it reads, and the settings it is given: its own, no others.

A plugin declares its settings with the `register_settings` hook: the vendor codes whose
`PAYMENT_VENDORS` entries are its own, and its own environment variables (a gateway's default
credentials, say). Its `register_vendors` then receives a `VendorSettings` holding those
entries and variables and the few server-wide values a gateway client needs — never the
server's `Settings`, whose keys and other plugins' credentials are none of its business. The
declarations also feed the reference (`payment-service settings --markdown`) and redaction.

A plugin written before `register_settings` existed still works: it is given the
`PAYMENT_VENDORS` entries and the variables that no declaration (the server's or a plugin's)
claims.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..settings import Settings, Variable, variables
from ..settings.parsers import text
from ..settings.schema import VENDOR_ROLES, Secrecy

TOPIC = "Vendor plugins"


def plugin_variable(name: str, doc: str, *, secret: Secrecy = False) -> Variable:
    """A plugin's own environment variable (text, unset by default), read where the plugins
    are loaded."""
    return Variable(name, doc, VENDOR_ROLES, text, secret=secret, topic=TOPIC)


@dataclass(frozen=True)
class PluginSettings:
    """What one plugin reads: the `PAYMENT_VENDORS` entries of `vendor_codes` and its own
    `variables`. `options` documents its entries' options in one line."""

    vendor_codes: tuple[str, ...]
    variables: tuple[Variable, ...] = ()
    distribution: str = ""
    """The plugin's distribution (what `pip install` names), for the reference."""
    options: str = ""


@dataclass(frozen=True)
class VendorSettings:
    """What `register_vendors` receives: the plugin's own settings and nothing else."""

    mode: str
    vendor_timeout_s: float
    """The server's deadline of a gateway call (an entry's `timeout_s` overrides it)."""
    vendors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """The plugin's own entries of PAYMENT_VENDORS, by vendor code."""
    environ: Mapping[str, str] = field(default_factory=dict)
    """The plugin's own declared variables that are set."""

    def __repr__(self) -> str:
        # Credentials are inside: never shown (settings end up in logs and tracebacks).
        return f"VendorSettings(mode={self.mode!r}, vendors={sorted(self.vendors)!r})"


class HasVendorSettings(Protocol):
    """`VendorSettings`, or the server's `Settings` (tests build vendors from those)."""

    @property
    def vendor_timeout_s(self) -> float: ...

    @property
    def vendors(self) -> Mapping[str, Mapping[str, Any]]: ...

    @property
    def environ(self) -> Mapping[str, str]: ...


def given_to(
    declared: PluginSettings | None,
    settings: Settings,
    others: Iterable[PluginSettings],
) -> VendorSettings:
    """The settings a plugin is given: its declared entries and variables; for a plugin that
    declares nothing (`declared` None), whatever no declaration (`others`' or the server's)
    claims."""
    if declared is not None:
        codes = set(declared.vendor_codes)
        names = {variable.name for variable in declared.variables}
        entries = {code: options for code, options in settings.vendors.items() if code in codes}
        environ = {name: value for name, value in settings.environ.items() if name in names}
    else:
        claimed_codes = {code for other in others for code in other.vendor_codes}
        claimed_names = {v.name for other in others for v in other.variables}
        claimed_names |= {variable.name for variable in variables()}
        entries = {
            code: options for code, options in settings.vendors.items() if code not in claimed_codes
        }
        environ = {
            name: value for name, value in settings.environ.items() if name not in claimed_names
        }
    return VendorSettings(
        mode=settings.mode,
        vendor_timeout_s=settings.vendor_timeout_s,
        # Copies: what a plugin does with its settings never reaches the server's.
        vendors=copy.deepcopy(entries),
        environ={name: value for name, value in environ.items() if value != ""},
    )
