"""The parsers of the declared settings: text (and the mode) in, a value out, or `Invalid`
with the words that complete "PAYMENT_X: …"."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from payment_service_client.webhooks import SECRET_PREFIX, webhook_key

from ..durations import parse_duration
from ..key_hygiene import weakness
from .schema import Context, Invalid, Parser

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")


def text(raw: str, context: Context) -> str:
    return raw


def _number(raw: str, kind: Callable[[str], Any], what: str) -> Any:
    try:
        return kind(raw)
    except ValueError:
        raise Invalid(f"must be {what} (got {raw!r})") from None


def positive_int(raw: str, context: Context) -> int:
    value = _number(raw, int, "a whole number")
    if value < 1:
        raise Invalid(f"must be at least 1 (got {value})")
    return value


def seconds(raw: str, context: Context) -> float:
    value = _number(raw, float, "a number of seconds")
    if not value > 0:
        raise Invalid(f"must be greater than 0 (got {value})")
    return value


def zero_or_more_seconds(raw: str, context: Context) -> float:
    value = _number(raw, float, "a number of seconds")
    if not 0 <= value < float("inf"):
        raise Invalid(f"must be zero or more (got {value})")
    return value


def zero_or_more(raw: str, context: Context) -> int:
    value = _number(raw, int, "a whole number")
    if value < 0:
        raise Invalid(f"must be zero or more (got {value})")
    return value


def port(raw: str, context: Context) -> int:
    value = _number(raw, int, "a port number")
    if not 0 <= value <= 65535:
        raise Invalid(f"must be a port number (got {value})")
    return value


def flag(raw: str, context: Context) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise Invalid(f"must be true or false (got {raw!r})")


def choice(*choices: str, lower: bool = False) -> Parser:
    """One of `choices` (compared in lowercase with `lower`)."""

    def parse(raw: str, context: Context) -> str:
        value = raw.lower() if lower else raw
        if value not in choices:
            raise Invalid(f"must be one of {', '.join(choices)} (got {value!r})")
        return value

    return parse


def identifier(raw: str, context: Context) -> str:
    """A PostgreSQL name used unquoted in messages and quoted in SQL: kept to plain ones."""
    if not IDENTIFIER.fullmatch(raw):
        raise Invalid(
            f"must be 1-63 lowercase letters, digits or _, not starting with a digit (got {raw!r})"
        )
    return raw


def networks(raw: str, context: Context) -> tuple[IPNetwork, ...]:
    """Comma- or space-separated addresses or CIDR blocks."""
    found: list[IPNetwork] = []
    bad: list[str] = []
    for item in raw.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            bad.append(f"{item!r} is not an IP address or CIDR block")
    if bad:
        raise Invalid(*bad)
    return tuple(found)


def origins(raw: str, context: Context) -> tuple[str, ...]:
    """Comma-separated browser origins (`https://host[:port]`) or `*`."""
    found = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
    bad = [
        f"{origin!r} is not an origin (http(s)://host[:port]) nor *"
        for origin in found
        if origin != "*" and not origin.startswith(("http://", "https://"))
    ]
    if bad:
        raise Invalid(*bad)
    return found


def vendor_options(raw: str, context: Context) -> dict[str, dict[str, Any]]:
    """A JSON object: each vendor code to its options (the plugin checks the options)."""
    try:
        value = json.loads(raw)
    except ValueError as error:
        raise Invalid(f"not valid JSON ({error})") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise Invalid("must be a JSON object mapping each vendor code to its options")
    return value


def signing_secrets(raw: str, context: Context) -> str:
    """One or more webhook signing secrets separated by spaces, each `whsec_<base64>` or any
    text; kept as given (`WebhookDelivery.signing_secrets` splits it)."""
    problems: list[str] = []
    seen: set[bytes] = set()
    for index, secret in enumerate(raw.split()):
        label = f"secret #{index + 1}"
        try:
            key = webhook_key(secret)
        except ValueError as error:
            problems.append(f"{label}: {error}")
            continue
        if context.mode == "real":
            text = secret.removeprefix(SECRET_PREFIX)
            problems += [f"{label}: {problem}" for problem in signing_secret_problems(text, key)]
            if key in seen:
                problems.append(f"{label}: repeats an earlier secret")
        seen.add(key)
    if problems:
        raise Invalid(*problems)
    return raw


# Standard Webhooks: a secret's HMAC key should be 24 to 64 random bytes.
MIN_SIGNING_KEY_BYTES = 24


def signing_secret_problems(text: str, key: bytes) -> list[str]:
    """Why `real` mode refuses a webhook signing secret (`text`: as written, without `whsec_`;
    `key`: its HMAC key): too short to be a secret, or guessable. Never quotes the secret."""
    problems: list[str] = []
    if len(key) < MIN_SIGNING_KEY_BYTES:
        problems.append(
            f"is {len(key)} bytes; real mode needs at least {MIN_SIGNING_KEY_BYTES} random bytes "
            "(`payment-service keys generate` prints one)"
        )
    reason = weakness(text) or weakness(key.hex())
    if reason:
        problems.append(reason)
    return problems


MAC_KEY_MIN_LENGTH = 32


def mac_key(raw: str, context: Context) -> str:
    """A secret key for HMAC: at least 32 characters; in `real` mode not a weak one."""
    if len(raw) < MAC_KEY_MIN_LENGTH:
        raise Invalid(f"must be at least {MAC_KEY_MIN_LENGTH} characters long")
    if context.mode == "real" and (problem := weakness(raw)) is not None:
        raise Invalid(problem)
    return raw


def durations(raw: str, context: Context) -> tuple[timedelta, ...]:
    """Comma-separated durations (`5m,1h,1d`), each greater than zero."""
    try:
        parsed = tuple(parse_duration(part) for part in raw.split(","))
    except ValueError as error:
        raise Invalid(f"must be durations like 5m,1h,1d ({error})") from None
    if any(duration <= timedelta(0) for duration in parsed):
        raise Invalid(f"every duration must be greater than 0 (got {raw!r})")
    return parsed


def optional_duration(raw: str, context: Context) -> timedelta | None:
    """A duration (`1h`, `30m`), or `off` for none."""
    if raw.strip().lower() in ("", "off", "0"):
        return None
    try:
        duration = parse_duration(raw)
    except ValueError as error:
        raise Invalid(str(error)) from None
    if duration <= timedelta(0):
        raise Invalid(f"must be greater than 0, or off (got {raw!r})")
    return duration
