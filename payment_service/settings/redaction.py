"""What must never be shown of the settings: the secret parts of settings that are not secret
as a whole (a database URL's password, the credentials inside PAYMENT_VENDORS), and every
secret a running server holds, for hiding them wherever they turn up (`/monitors/system`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from .schema import REDACTED, Declared, Partly, Variable

# Options of a PAYMENT_VENDORS entry that every plugin shares and that are not secret; any
# other value (credentials, plugin-specific options) is treated as one.
_PLAIN_VENDOR_OPTIONS = ("base_url", "timeout_s")


def url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def without_password(url: str) -> str:
    """`url` with its password (if any) replaced by REDACTED."""
    password = url_password(url)
    if not password:
        return url
    parts = urlsplit(url)
    user_info, _, host = parts.netloc.rpartition("@")
    user = user_info.partition(":")[0]
    return parts._replace(netloc=f"{user}:{REDACTED}@{host}").geturl()


def _url_secrets(url: str) -> Iterator[str]:
    password = url_password(url)
    if password:
        yield password


URL_PASSWORD = Partly("the password", without_password, _url_secrets)


def _redact_leaves(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _redact_leaves(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_redact_leaves(item) for item in value]
    return REDACTED


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield value


def redact_vendors(vendors: Mapping[str, Any]) -> dict[str, Any]:
    """PAYMENT_VENDORS with every credential hidden; base URLs and timeouts stay readable
    (store ids too: they name stores, they open nothing)."""
    shown: dict[str, Any] = {}
    for code, options in vendors.items():
        if not isinstance(options, Mapping):
            shown[code] = REDACTED
            continue
        entry: dict[str, Any] = {}
        for name, value in options.items():
            if name == "base_url" and isinstance(value, str):
                entry[name] = without_password(value)
            elif name in _PLAIN_VENDOR_OPTIONS:
                entry[name] = value
            else:
                entry[name] = _redact_leaves(value)
        shown[code] = entry
    return shown


def vendor_secrets(vendors: Mapping[str, Any]) -> Iterator[str]:
    for options in vendors.values():
        if not isinstance(options, Mapping):
            yield from _leaves(options)
            continue
        for name, value in options.items():
            if name == "base_url" and isinstance(value, str):
                yield from _url_secrets(value)
            elif name not in _PLAIN_VENDOR_OPTIONS:
                yield from _leaves(value)


VENDOR_CREDENTIALS = Partly("the credentials", redact_vendors, vendor_secrets)


def held_secrets(
    settings: Declared, environ: Mapping[str, str], extra: Iterable[Variable]
) -> set[str]:
    """Every secret string of `settings`, and of the `extra` variables (a plugin's) as set in
    `environ`."""
    found = settings.secret_strings()
    for variable in extra:
        found.update(variable.secret_strings(environ.get(variable.name)))
    return {text for text in found if text}


def assignment_shown(variables: Iterable[Variable]) -> Callable[[str, str], str | None]:
    """How `NAME=value` of one of `variables` may be shown (None: not one of them)."""
    by_name = {variable.name: variable for variable in variables}

    def shown(name: str, value: str) -> str | None:
        variable = by_name.get(name)
        return None if variable is None else variable.shown_text(value)

    return shown
