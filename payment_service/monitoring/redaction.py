"""Hiding secrets in what /monitors/system shows of the command line.

The route keeps the original's `arguments` field, but a command line may carry a key
(`--key …`, `PAYMENT_X_KEY=…`), a database URL with its password, or a value that happens to be
one of the configured secrets. Each such value becomes `REDACTED`; the rest is shown as is.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping

REDACTED = "***"
# Option and variable names whose value is a secret.
_SECRET_NAME = re.compile(r"(key|secret|password|passwd|token|iv|credential|auth)", re.I)
_OPTION = re.compile(r"^(--?[A-Za-z0-9][A-Za-z0-9_.-]*)(=(.*))?$", re.S)
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
# scheme://user:password@host → scheme://user:***@host
_URL_PASSWORD = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://[^:/@\s]*:)[^@/\s]*(@)")
# An opaque token: long, no separators a path or word would have, letters and digits mixed.
_TOKEN = re.compile(r"^[A-Za-z0-9_+/=-]{16,}$")


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


def redact_arguments(arguments: Iterable[str], secrets: Collection[str] = ()) -> list[str]:
    """`arguments` with every secret-looking value replaced by REDACTED."""
    shown: list[str] = []
    hide_next = False
    for argument in arguments:
        if hide_next:
            shown.append(REDACTED)
            hide_next = False
            continue
        option = _OPTION.match(argument)
        assignment = _ASSIGNMENT.match(argument)
        if option and _SECRET_NAME.search(option.group(1)):
            if option.group(2) is None:
                hide_next = True
                shown.append(argument)
            else:
                shown.append(f"{option.group(1)}={REDACTED}")
            continue
        if assignment and _SECRET_NAME.search(assignment.group(1)):
            shown.append(f"{assignment.group(1)}={REDACTED}")
            continue
        if argument in secrets or _looks_like_token(argument):
            shown.append(REDACTED)
            continue
        for secret in secrets:
            if secret in argument:
                argument = argument.replace(secret, REDACTED)
        shown.append(_URL_PASSWORD.sub(rf"\1{REDACTED}\2", argument))
    return shown
