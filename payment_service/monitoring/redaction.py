"""Hiding secrets in what /monitors/system shows of the command line.

The route keeps the original's `arguments` field, but a command line may carry a key
(`--key …`, `PAYMENT_X_KEY=…`), a database URL with its password, a declared setting
(`PAYMENT_VENDORS=…`, whose credentials the settings' schema marks secret), or a value that
happens to be one of the configured secrets. Each such value becomes `REDACTED`; the rest is
shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping

REDACTED = "***"
# Option and variable names whose value is a secret.
_SECRET_NAME = re.compile(r"(key|secret|password|passwd|token|iv|credential|auth)", re.I)
_OPTION = re.compile(r"^(--?[A-Za-z0-9][A-Za-z0-9_.-]*)(=(.*))?$", re.S)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
# scheme://user:password@host → scheme://user:***@host
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]*(@)")
# An opaque token: long, no separators a path or word would have, letters and digits mixed.
_TOKEN = re.compile(r"^[A-Za-z0-9_+/=-]{16,}$")
# Shorter secrets are hidden where they are a whole argument, never inside other text (a
# two-letter secret would mangle every argument).
_MIN_EMBEDDED_SECRET = 4

Assignment = Callable[[str, str], str | None]
"""How `NAME=value` may be shown, for a declared variable NAME; None when NAME is unknown."""


def secret_values(environ: Mapping[str, str]) -> set[str]:
    """The configured values that must never be shown (keys, IVs, secrets, passwords)."""
    return {
        value
        for name, value in environ.items()
        if name.startswith("PAYMENT_") and _SECRET_NAME.search(name) and len(value) >= 4
    }


def _looks_like_token(value: str) -> bool:
    return (
        bool(_TOKEN.match(value))
        and any(c.isdigit() for c in value)
        and any(c.isalpha() for c in value)
        and not value.startswith(("-", "/"))
    )


def redact_arguments(
    arguments: Iterable[str], secrets: Collection[str] = (), declared: Assignment | None = None
) -> list[str]:
    """`arguments` with every secret-looking value replaced by REDACTED; `declared` shows a
    declared variable's `NAME=value` as its schema allows."""
    shown: list[str] = []
    hide_next = False
    for argument in arguments:
        if hide_next:
            shown.append(REDACTED)
            hide_next = False
            continue
        option = _OPTION.match(argument)
        if option and _SECRET_NAME.search(option.group(1)):
            if option.group(2) is None:
                hide_next = True
                shown.append(argument)
            else:
                shown.append(f"{option.group(1)}={REDACTED}")
            continue
        assignment = _ASSIGNMENT.match(argument)
        if assignment:
            name, value = assignment.groups()
            allowed = declared(name, value) if declared else None
            if allowed is not None:
                shown.append(f"{name}={_hide(allowed, secrets)}")
                continue
            if _SECRET_NAME.search(name):
                shown.append(f"{name}={REDACTED}")
                continue
        shown.append(_hide(argument, secrets))
    return shown


def _hide(argument: str, secrets: Collection[str]) -> str:
    if argument in secrets or _looks_like_token(argument):
        return REDACTED
    for secret in secrets:
        if len(secret) >= _MIN_EMBEDDED_SECRET and secret in argument:
            argument = argument.replace(secret, REDACTED)
    return _URL_PASSWORD.sub(rf"\1{REDACTED}\2", argument)
