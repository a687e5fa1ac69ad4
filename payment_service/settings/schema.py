"""How a setting is declared, and how a declared class is read from the environment.

A setting is a dataclass field made by `setting()`: the field's name, type and default sit on
one line with its `PAYMENT_*` variable, its parser, the process roles that read it, whether it
is secret, its topic and one line of documentation. Everything else comes from those
declarations: loading and validation (`loading.py`), redaction (`repr`, `/monitors/system`,
`payment-service settings`), and the reference (`reference.py`, docs/configuration.md).

A field may also be a `group()` (a dataclass of settings, read as one value, e.g.
`settings.webhooks`) or a composite whose value is built from several variables (the
keyrings, `keys.py`).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

METADATA_KEY = "payment_service.setting"
REDACTED = "***"


class Role(StrEnum):
    """The processes of a deployment; each reads only the settings that name it."""

    API = "api"
    """The HTTP server: `serve`, gunicorn `wsgi:app`."""
    SENDER = "sender"
    """The webhook sender: `webhooks deliver`."""
    HOUSEKEEPER = "housekeeper"
    """Periodic work: settling refunds and claims, expiring idempotency keys, purging rows."""
    FAKES = "fakes"
    """The fake gateways: `payment-service fakes` (configured by options, not variables)."""
    CLI = "cli"
    """One-shot commands: schema, setup-db, reconcile, rotate-keys, webhooks list/retry."""


API, SENDER, HOUSEKEEPER, FAKES, CLI = Role
# Every process that opens the database.
DATABASE_ROLES = (API, SENDER, HOUSEKEEPER, CLI)
# Every process that talks to gateways through the vendor plugins.
VENDOR_ROLES = (API, HOUSEKEEPER, CLI)


class Invalid(ValueError):
    """A parser's refusal; its text completes "PAYMENT_X: …" (e.g. "must be a whole number")."""


@dataclass(frozen=True)
class Context:
    """What a parser may depend on besides the text: the mode, read before anything else."""

    mode: str


Parser = Callable[[str, Context], Any]


@dataclass(frozen=True)
class ByMode:
    """A default that depends on the mode (`local` vs `dev`/`real`)."""

    value: Callable[[str], Any]
    shown: str
    """How the reference states it, e.g. "`local`: `*`; `dev`/`real`: none"."""


@dataclass(frozen=True)
class Computed:
    """A default computed when the settings are loaded (e.g. from the working directory)."""

    factory: Callable[[], Any]
    shown: str


@dataclass(frozen=True)
class Partly:
    """A setting whose value holds secrets inside something that is not (a URL's password,
    the credentials inside PAYMENT_VENDORS): only those parts are hidden."""

    what: str
    """What is secret, for the reference ("the password")."""
    redact: Callable[[Any], Any]
    """The value with its secret parts replaced by REDACTED."""
    secrets: Callable[[Any], Iterable[str]]
    """The secret strings inside the value (hidden wherever they appear, e.g. in argv)."""


Secrecy = bool | Partly


@dataclass(frozen=True)
class Variable:
    """One environment variable: what it means, who reads it, how it is read."""

    name: str
    doc: str
    roles: tuple[Role, ...]
    parse: Parser
    default: Any = None
    secret: Secrecy = False
    topic: str = ""
    show: Callable[[Any], str] | None = None
    """How a value is written out (the `settings` command); `format_value` when None."""
    shown_default: str | None = None
    """How the reference states the default, when `format_value` of it would not do."""

    def default_for(self, mode: str) -> Any:
        if isinstance(self.default, ByMode):
            return self.default.value(mode)
        if isinstance(self.default, Computed):
            return self.default.factory()
        return self.default

    def default_text(self) -> str:
        """The default as the reference states it."""
        if self.shown_default is not None:
            return self.shown_default
        if isinstance(self.default, (ByMode, Computed)):
            return self.default.shown
        return "—" if self.default is None else f"`{self.format(self.default)}`"

    def format(self, value: Any) -> str:
        return self.show(value) if self.show is not None else format_value(value)

    def redacted(self, value: Any) -> Any:
        """`value` as it may be shown: a secret one as REDACTED (unless unset)."""
        if value is None or value == "" or self.secret is False:
            return value
        if isinstance(self.secret, Partly):
            return self.secret.redact(value)
        return REDACTED

    def shown_text(self, raw: str) -> str:
        """The variable's text as it may be shown (e.g. in `NAME=value` on a command line)."""
        if self.secret is False:
            return raw
        if self.secret is True:
            return REDACTED
        try:
            value = self.parse(raw, Context("local"))
        except Invalid:
            return REDACTED  # unreadable, so its secret parts cannot be told apart
        return self.format(self.secret.redact(value))

    def secret_strings(self, value: Any) -> Iterable[str]:
        """The secret strings inside `value` (none for a setting that is not secret)."""
        if value is None or self.secret is False:
            return ()
        if isinstance(self.secret, Partly):
            return self.secret.secrets(value)
        if isinstance(value, str):
            return value.split()  # one or more secrets, space-separated
        return ()


class Reader(Protocol):
    """What a declaration reads the environment with (`loading.Reader`)."""

    mode: str

    def text(self, name: str) -> str | None: ...

    def problem(self, name: str, message: str) -> None: ...

    def read(self, variable: Variable) -> Any: ...


class Declaration(Protocol):
    """What a declared field holds in its metadata."""

    @property
    def variables(self) -> tuple[Variable, ...]: ...

    def read(self, reader: Reader) -> Any:
        """The field's value from the environment; problems go to the reader."""

    def redacted(self, value: Any) -> Any:
        """The value as `repr` may show it."""

    def shown(self, variable: Variable, value: Any, given: str | None) -> str:
        """What `payment-service settings` prints for `variable` (one of `variables`), the
        field being `value` and the variable's text `given` (None: not set)."""

    def secret_strings(self, value: Any) -> Iterable[str]:
        """Every secret string inside the value."""


@dataclass(frozen=True)
class Single:
    """A field read from one variable."""

    variable: Variable

    @property
    def variables(self) -> tuple[Variable, ...]:
        return (self.variable,)

    def read(self, reader: Reader) -> Any:
        return reader.read(self.variable)

    def redacted(self, value: Any) -> Any:
        return self.variable.redacted(value)

    def shown(self, variable: Variable, value: Any, given: str | None) -> str:
        if value is None:
            return ""
        return variable.format(variable.redacted(value))

    def secret_strings(self, value: Any) -> Iterable[str]:
        return self.variable.secret_strings(value)


@dataclass(frozen=True)
class Group:
    """A field whose value is a dataclass of declared fields (e.g. `settings.webhooks`)."""

    cls: type[Any]

    @property
    def variables(self) -> tuple[Variable, ...]:
        return tuple(variable for _, d in declared_fields(self.cls) for variable in d.variables)

    def read(self, reader: Reader) -> Any:
        return self.cls(**{name: d.read(reader) for name, d in declared_fields(self.cls)})

    def redacted(self, value: Any) -> Any:
        return value  # a group's repr redacts its own fields

    def shown(self, variable: Variable, value: Any, given: str | None) -> str:
        for name, declaration in declared_fields(self.cls):
            if variable in declaration.variables:
                return declaration.shown(variable, getattr(value, name), given)
        raise KeyError(variable.name)

    def secret_strings(self, value: Any) -> Iterable[str]:
        for name, declaration in declared_fields(self.cls):
            yield from declaration.secret_strings(getattr(value, name))


def setting(
    variable: str,
    default: Any,
    parse: Parser,
    roles: Iterable[Role],
    doc: str,
    *,
    topic: str,
    secret: Secrecy = False,
    show: Callable[[Any], str] | None = None,
    shown_default: str | None = None,
) -> Any:
    """A dataclass field read from `variable` (the field's default is `default`, in `local`
    mode for a `ByMode` one)."""
    declared = Single(
        Variable(
            variable,
            doc,
            tuple(roles),
            parse,
            default,
            secret,
            topic,
            show,
            shown_default,
        )
    )
    metadata = {METADATA_KEY: declared}
    if isinstance(default, ByMode):
        local = default.value("local")
        return field(default_factory=lambda: local, metadata=metadata)
    if isinstance(default, Computed):
        return field(default_factory=default.factory, metadata=metadata)
    if isinstance(default, (dict, list, set)):  # a fresh copy for each instance
        return field(default_factory=lambda: type(default)(default), metadata=metadata)
    return field(default=default, metadata=metadata)


def group(cls: type[Any]) -> Any:
    """A dataclass field holding a group of declared fields, built from their defaults."""
    return field(default_factory=cls, metadata={METADATA_KEY: Group(cls)})


def declared(declaration: Declaration, default_factory: Callable[[], Any]) -> Any:
    """A dataclass field with a declaration of its own (e.g. a keyring)."""
    return field(default_factory=default_factory, metadata={METADATA_KEY: declaration})


def declared_fields(cls: type[Any]) -> Iterator[tuple[str, Declaration]]:
    """The declared fields of a dataclass, in declaration order."""
    for item in dataclasses.fields(cls):
        declaration = item.metadata.get(METADATA_KEY)
        if declaration is not None:
            yield item.name, declaration


def variables_of(cls: type[Any]) -> list[Variable]:
    return [variable for _, d in declared_fields(cls) for variable in d.variables]


class Declared:
    """Base of the declared dataclasses: a `repr` that never shows a secret (settings end up
    in logs, tracebacks and debuggers)."""

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={declaration.redacted(getattr(self, name))!r}"
            for name, declaration in declared_fields(type(self))
        )
        return f"{type(self).__name__}({shown})"

    def secret_strings(self) -> set[str]:
        """Every secret string this object holds (keys, passwords, credentials)."""
        return {
            text
            for name, declaration in declared_fields(type(self))
            for text in declaration.secret_strings(getattr(self, name))
            if text
        }


def format_value(value: Any) -> str:
    """A value as an environment variable would hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (tuple, list, frozenset, set)):
        return ",".join(format_value(item) for item in value)
    if isinstance(value, Mapping):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)
