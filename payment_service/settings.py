"""All configuration, read from `PAYMENT_*` environment variables (and an optional `.env`).

Everything is validated at start; a bad configuration raises `SettingsError` whose message names
every missing or invalid variable at once, so an operator fixes them in one go.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from .client.webhooks import webhook_key
from .crypto import Cipher, iv_problem, key_problem
from .delivery.url_policy import SETTING as ALLOWED_NETWORKS_SETTING
from .delivery.url_policy import AddressPolicy
from .key_hygiene import key_problems
from .keyrings import AtRestKeyring, WireKeyring

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MODES = ("local", "dev", "real")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
LOG_FORMATS = ("text", "json")

# The values published with the original project (docs/payment-api.md §3.2, §5.1) plus our own
# webhook-table key. Anyone can read them, so they protect nothing: only `local` mode may use them.
PUBLISHED_KEYS: dict[str, tuple[str, str]] = {
    "CONNECTION": ("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7"),
    "HISTORY": ("MTlsOESZ6geZTjeaubOdR71tobe0KqE7", "7BqAGp1HPY9Ox66w"),
    "RESERVATION": ("0OrB5XVgkYpoybWeGIUkattMb4lTLQgz", "ESgYCYV10Iy6qd1y"),
    "CANCEL_HISTORY": ("aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g", "fro2JXImhmbDtDNx"),
    "WEBHOOK": ("f3Kq9ZrT0bWm7XcV2nLp5HsJ8dYg4AeU", "Qm2Rk7Tz9Wx4Vb1N"),
    "IDEMPOTENCY": ("5kpS6QEqXanlPmLzc0YtDeWXRmnHJhf6", "qwPcvBaUvzgmr53D"),
}
PUBLISHED_VALUES = {value for pair in PUBLISHED_KEYS.values() for value in pair}


class SettingsError(Exception):
    """The configuration is unusable; the message lists every problem, one per line."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(
            "invalid configuration:\n" + "\n".join(f"  - {problem}" for problem in problems)
        )


@dataclass(frozen=True)
class Keys:
    """The AES pairs: the wire, and one per encrypted table. Each is a keyring: the current
    pair (`.key`, `.iv`) encrypts, previous pairs (`PAYMENT_*_PREVIOUS_KEYS`) still decrypt."""

    connection: WireKeyring
    history: AtRestKeyring
    reservation: AtRestKeyring
    cancel_history: AtRestKeyring
    webhook: AtRestKeyring
    idempotency: AtRestKeyring


@dataclass(frozen=True)
class WebhookDelivery:
    """Outgoing webhook delivery: pool size, timeouts and the retry schedule (seconds)."""

    workers: int = 4
    timeout_s: float = 10.0
    retry_base_s: float = 30.0
    retry_max_s: float = 6 * 3600.0
    deadline_s: float = 3 * 24 * 3600.0
    lease_s: float = 120.0
    poll_s: float = 1.0
    signing_secret: str | None = None
    host_concurrency: int | None = None
    """Threads of one process that may deliver to one receiver (scheme://host:port) at once;
    None: all but one of `workers`, so a slow receiver always leaves a thread to the others."""
    allowed_networks: AddressPolicy = field(default_factory=lambda: AddressPolicy(allow_all=True))
    """Where webhooks may go (PAYMENT_WEBHOOK_ALLOWED_NETWORKS, checked at connect time)."""

    @property
    def host_limit(self) -> int:
        return self.host_concurrency or max(1, self.workers - 1)

    @property
    def signing_secrets(self) -> tuple[str, ...]:
        """Every secret to sign with: the variable holds one or more, separated by spaces."""
        return tuple((self.signing_secret or "").split())


@dataclass(frozen=True)
class Settings:
    mode: str
    database_url: str
    keys: Keys
    host: str = "127.0.0.1"
    port: int = 37821
    workers: int = 2
    vendors: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    vendor_timeout_s: float = 10.0
    database_timeout_s: float = 10.0
    load_plugins: bool = True
    webhooks: WebhookDelivery = field(default_factory=WebhookDelivery)
    internal_webhook_capacity: int = 100
    max_body_bytes: int = 1024 * 1024
    database_schema: str = "public"
    database_readonly_user: str | None = None
    database_readonly_password: str | None = field(default=None, repr=False)
    metrics: bool = True
    log_format: str = "text"
    idempotency_ttl_s: float = 86400.0
    cors_origins: tuple[str, ...] = ("*",)
    """Origins browsers may call from (PAYMENT_CORS_ORIGINS); `*` any, empty none."""

    # Password checks: how long a verified (record, password) pair skips bcrypt (0 = never),
    # how many pairs a process remembers, and the per-client throttle of failed checks.
    password_cache_s: float = 600.0
    password_cache_entries: int = 10_000
    auth_failures_max: int = 20
    auth_failures_window_s: float = 60.0
    trusted_proxies: tuple[IPNetwork, ...] = ()

    # Process roles (`payment_service.roles`).
    housekeeping_interval_s: float = 5.0
    """PAYMENT_HOUSEKEEPING_INTERVAL_S: seconds between two rounds of the housekeeper's jobs."""
    unsafe_expose_local_mode: bool = False
    """PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE: let the API listen beyond loopback in local mode."""
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def internal_webhook_enabled(self) -> bool:
        """The test receiver (R13) exists for local trials and tests, never in production."""
        return self.mode != "real"

    @classmethod
    def load(
        cls,
        environ: Mapping[str, str] | None = None,
        env_file: str | Path | None = ".env",
        **overrides: Any,
    ) -> Settings:
        """Read the environment (real variables win over `.env`) and validate everything."""
        merged: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            merged.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        merged.update(os.environ if environ is None else environ)
        return _Reader(merged).settings(overrides)


class _Reader:
    """Collects every problem instead of stopping at the first."""

    def __init__(self, env: Mapping[str, str]):
        self.env = env
        self.problems: list[str] = []

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.env.get(name)
        if value is None or value == "":
            return default
        return value

    def parsed(self, name: str, default: Any, parse: Callable[[str], Any], what: str) -> Any:
        raw = self.text(name)
        if raw is None:
            return default
        try:
            return parse(raw)
        except ValueError:
            self.problems.append(f"{name}: must be {what} (got {raw!r})")
            return default

    def positive_int(self, name: str, default: int) -> int:
        value = self.parsed(name, default, int, "a whole number")
        if value < 1:
            self.problems.append(f"{name}: must be at least 1 (got {value})")
        return value

    def seconds(self, name: str, default: float) -> float:
        value = self.parsed(name, default, float, "a number of seconds")
        if not value > 0:
            self.problems.append(f"{name}: must be greater than 0 (got {value})")
        return value

    def non_negative(
        self, name: str, default: float, parse: Callable[[str], Any], what: str
    ) -> Any:
        value = self.parsed(name, default, parse, what)
        if not 0 <= value < float("inf"):
            self.problems.append(f"{name}: must be zero or more (got {value})")
        return value

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        """Comma- or space-separated addresses or CIDR blocks."""
        raw = self.text(name, "") or ""
        found: list[IPNetwork] = []
        for item in raw.replace(",", " ").split():
            try:
                found.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self.problems.append(f"{name}: {item!r} is not an IP address or CIDR block")
        return tuple(found)

    def flag(self, name: str, default: bool) -> bool:
        def parse(raw: str) -> bool:
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)

        return self.parsed(name, default, parse, "true or false")

    def identifier(self, name: str, default: str | None) -> str | None:
        """A PostgreSQL name used unquoted in messages and quoted in SQL: kept to plain ones."""
        value = self.text(name, default)
        if value is not None and not IDENTIFIER.fullmatch(value):
            self.problems.append(
                f"{name}: must be 1-63 lowercase letters, digits or _, not starting with a digit "
                f"(got {value!r})"
            )
        return value

    def cipher(self, table: str, mode: str) -> Cipher | None:
        names = (f"PAYMENT_{table}_ENCRYPTION_KEY", f"PAYMENT_{table}_ENCRYPTION_IV")
        published = PUBLISHED_KEYS[table]
        values: list[str] = []
        for name, check, default in zip(names, (key_problem, iv_problem), published, strict=True):
            value = self.text(name)
            if value is None:
                if mode != "local":
                    self.problems.append(f"{name}: required in {mode} mode")
                value = default
            elif mode != "local" and value in PUBLISHED_VALUES:
                self.problems.append(
                    f"{name}: is a published default value; {mode} mode needs a secret one"
                )
            problem = check(value)
            if problem:
                self.problems.append(f"{name}: {problem}")
            values.append(value)
        if len(set(values)) < 2 and mode != "local":
            self.problems.append(f"{names[0]} and {names[1]}: must differ")
        try:
            return Cipher(values[0], values[1])
        except ValueError:
            return None

    def previous_ciphers(self, table: str, mode: str, current: Cipher | None) -> tuple[Cipher, ...]:
        """`PAYMENT_{table}_PREVIOUS_KEYS`: a JSON list of {"key", "iv"}, each checked like the
        current pair. Values are never echoed in problems: they are secrets."""
        name = f"PAYMENT_{table}_PREVIOUS_KEYS"
        raw = self.text(name)
        if raw is None:
            return ()
        try:
            items = json.loads(raw)
        except ValueError:
            self.problems.append(f'{name}: must be a JSON list of {{"key": ..., "iv": ...}}')
            return ()
        if not isinstance(items, list):
            self.problems.append(f'{name}: must be a JSON list of {{"key": ..., "iv": ...}}')
            return ()
        ciphers: list[Cipher] = []
        seen = {(current.key, current.iv)} if current else set()
        for index, item in enumerate(items):
            where = f"{name}[{index}]"
            if not isinstance(item, dict) or set(item) != {"key", "iv"}:
                self.problems.append(f'{where}: must be an object with exactly "key" and "iv"')
                continue
            pair = (item["key"], item["iv"])
            if not all(isinstance(value, str) for value in pair):
                self.problems.append(f"{where}: key and iv must be strings")
                continue
            problems = [
                f"{where}.{part}: {problem}"
                for part, problem in (("key", key_problem(pair[0])), ("iv", iv_problem(pair[1])))
                if problem
            ]
            if mode != "local":
                problems += [
                    f"{where}.{part}: is a published default value; {mode} mode needs a secret one"
                    for part, value in zip(("key", "iv"), pair, strict=True)
                    if value in PUBLISHED_VALUES
                ]
                if pair[0] == pair[1]:
                    problems.append(f"{where}: key and iv must differ")
            if pair in seen:
                problems.append(f"{where}: repeats the current pair or an earlier previous one")
            seen.add(pair)
            self.problems.extend(problems)
            if not problems:
                ciphers.append(Cipher(*pair))
        return tuple(ciphers)

    def signing_secrets(self) -> str | None:
        """`PAYMENT_WEBHOOK_SIGNING_SECRET`: one or more secrets separated by spaces."""
        name = "PAYMENT_WEBHOOK_SIGNING_SECRET"
        raw = self.text(name)
        for index, secret in enumerate((raw or "").split()):
            try:
                webhook_key(secret)
            except ValueError as error:
                self.problems.append(f"{name}: secret #{index + 1}: {error}")
        return raw

    def key_hygiene(self, mode: str) -> None:
        """`real` mode: no weak key or IV, and none used twice (all problems at once)."""
        if mode != "real":
            return
        values = {
            name: value
            for table in PUBLISHED_KEYS
            for name in (f"PAYMENT_{table}_ENCRYPTION_KEY", f"PAYMENT_{table}_ENCRYPTION_IV")
            if (value := self.text(name)) is not None
        }
        self.problems.extend(key_problems(values))

    def optional_positive_int(self, name: str) -> int | None:
        return None if self.text(name) is None else self.positive_int(name, 1)

    def allowed_networks(self, mode: str) -> AddressPolicy:
        name = ALLOWED_NETWORKS_SETTING
        try:
            return AddressPolicy.parse(self.text(name), mode)
        except ValueError as error:
            self.problems.append(f"{name}: {error}")
            return AddressPolicy.parse(None, mode)

    def cors_origins(self, mode: str) -> tuple[str, ...]:
        raw = self.text("PAYMENT_CORS_ORIGINS")
        if raw is None:
            return ("*",) if mode == "local" else ()
        origins = tuple(origin.strip().rstrip("/") for origin in raw.split(",") if origin.strip())
        for origin in origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                self.problems.append(
                    f"PAYMENT_CORS_ORIGINS: {origin!r} is not an origin (http(s)://host[:port]) "
                    "nor *"
                )
        return origins

    def vendors(self) -> dict[str, dict[str, Any]]:
        raw = self.text("PAYMENT_VENDORS")
        if raw is None:
            return {}
        try:
            value = json.loads(raw)
        except ValueError as error:
            self.problems.append(f"PAYMENT_VENDORS: not valid JSON ({error})")
            return {}
        if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
            self.problems.append(
                "PAYMENT_VENDORS: must be a JSON object mapping each vendor code to its options"
            )
            return {}
        return value

    def settings(self, overrides: dict[str, Any]) -> Settings:
        mode = self.text("PAYMENT_MODE", "local")
        if mode not in MODES:
            self.problems.append(f"PAYMENT_MODE: must be one of {', '.join(MODES)} (got {mode!r})")
            mode = "local"
        ciphers = {table: self.cipher(table, mode) for table in PUBLISHED_KEYS}
        previous = {t: self.previous_ciphers(t, mode, ciphers[t]) for t in PUBLISHED_KEYS}
        self.key_hygiene(mode)
        default_db = f"sqlite:///{Path.cwd() / 'payment-service.sqlite3'}"
        port = self.parsed("PAYMENT_API_PORT", 37821, int, "a port number")
        if not 0 <= port <= 65535:
            self.problems.append(f"PAYMENT_API_PORT: must be a port number (got {port})")
        delivery = WebhookDelivery(
            workers=self.positive_int("PAYMENT_WEBHOOK_WORKERS", WebhookDelivery.workers),
            timeout_s=self.seconds("PAYMENT_WEBHOOK_TIMEOUT_S", WebhookDelivery.timeout_s),
            retry_base_s=self.seconds("PAYMENT_WEBHOOK_RETRY_BASE_S", WebhookDelivery.retry_base_s),
            retry_max_s=self.seconds("PAYMENT_WEBHOOK_RETRY_MAX_S", WebhookDelivery.retry_max_s),
            deadline_s=self.seconds("PAYMENT_WEBHOOK_DEADLINE_S", WebhookDelivery.deadline_s),
            lease_s=self.seconds("PAYMENT_WEBHOOK_LEASE_S", WebhookDelivery.lease_s),
            poll_s=self.seconds("PAYMENT_WEBHOOK_POLL_S", WebhookDelivery.poll_s),
            signing_secret=self.signing_secrets(),
            host_concurrency=self.optional_positive_int("PAYMENT_WEBHOOK_HOST_CONCURRENCY"),
            allowed_networks=self.allowed_networks(mode),
        )
        log_format = self.text("PAYMENT_LOG_FORMAT", "text").lower()
        if log_format not in LOG_FORMATS:
            self.problems.append(
                f"PAYMENT_LOG_FORMAT: must be one of {', '.join(LOG_FORMATS)} (got {log_format!r})"
            )
        values: dict[str, Any] = {
            "mode": mode,
            "database_url": self.text("PAYMENT_DATABASE_URL", default_db),
            "host": self.text("PAYMENT_API_HOST", "127.0.0.1"),
            "port": port,
            "workers": self.positive_int("PAYMENT_WORKERS", 2),
            "vendors": self.vendors(),
            "vendor_timeout_s": self.seconds("PAYMENT_VENDOR_TIMEOUT_S", 10.0),
            "database_timeout_s": self.seconds("PAYMENT_DATABASE_TIMEOUT_S", 10.0),
            "load_plugins": self.flag("PAYMENT_LOAD_PLUGINS", True),
            "webhooks": delivery,
            "internal_webhook_capacity": self.positive_int(
                "PAYMENT_INTERNAL_WEBHOOK_CAPACITY", 100
            ),
            "max_body_bytes": self.positive_int("PAYMENT_MAX_BODY_BYTES", 1024 * 1024),
            "database_schema": self.identifier("PAYMENT_DATABASE_SCHEMA", "public"),
            "database_readonly_user": self.identifier("PAYMENT_DATABASE_READONLY_USER", None),
            "database_readonly_password": self.text("PAYMENT_DATABASE_READONLY_PASSWORD"),
            "metrics": self.flag("PAYMENT_METRICS", True),
            "log_format": log_format,
            "idempotency_ttl_s": self.seconds("PAYMENT_IDEMPOTENCY_TTL_S", 86400.0),
            "cors_origins": self.cors_origins(mode),
            "password_cache_s": self.non_negative(
                "PAYMENT_PASSWORD_CACHE_S", 600.0, float, "a number of seconds"
            ),
            "password_cache_entries": self.positive_int("PAYMENT_PASSWORD_CACHE_ENTRIES", 10_000),
            "auth_failures_max": self.non_negative(
                "PAYMENT_AUTH_FAILURES_MAX", 20, int, "a whole number"
            ),
            "auth_failures_window_s": self.seconds("PAYMENT_AUTH_FAILURES_WINDOW_S", 60.0),
            "trusted_proxies": self.networks("PAYMENT_TRUSTED_PROXIES"),
            "housekeeping_interval_s": self.seconds("PAYMENT_HOUSEKEEPING_INTERVAL_S", 5.0),
            "unsafe_expose_local_mode": self.flag("PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE", False),
            "environ": dict(self.env),
        }
        if values["database_readonly_user"] and not values["database_readonly_password"]:
            self.problems.append(
                "PAYMENT_DATABASE_READONLY_PASSWORD: required with PAYMENT_DATABASE_READONLY_USER"
            )
        known = {f.name for f in fields(Settings)}
        for name in overrides:
            if name not in known:
                self.problems.append(f"unknown setting override {name!r}")
        if self.problems:
            raise SettingsError(self.problems)
        values.update(overrides)
        keys = values.pop("keys", None) or _keyrings(ciphers, previous)  # type: ignore[arg-type]
        return Settings(keys=keys, **values)


def _keyrings(ciphers: dict[str, Cipher], previous: dict[str, tuple[Cipher, ...]]) -> Keys:
    def at_rest(table: str) -> AtRestKeyring:
        return AtRestKeyring(table.lower(), ciphers[table], previous[table])

    return Keys(
        connection=WireKeyring("connection", ciphers["CONNECTION"], previous["CONNECTION"]),
        history=at_rest("HISTORY"),
        reservation=at_rest("RESERVATION"),
        cancel_history=at_rest("CANCEL_HISTORY"),
        webhook=at_rest("WEBHOOK"),
        idempotency=at_rest("IDEMPOTENCY"),
    )
