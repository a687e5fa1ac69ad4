"""All configuration, read from `PAYMENT_*` environment variables (and an optional `.env`).

Everything is validated at start; a bad configuration raises `SettingsError` whose message names
every missing or invalid variable at once, so an operator fixes them in one go.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from dotenv import dotenv_values

from .crypto import Cipher, iv_problem, key_problem

MODES = ("local", "dev", "real")
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")

# The values published with the original project (spec §3.2, §5.1) plus our own webhook-table
# key. Anyone can read them, so they protect nothing: only `local` mode may use them.
PUBLISHED_KEYS: dict[str, tuple[str, str]] = {
    "CONNECTION": ("MCKOxv9B23r7EatArCFcBP03nfaS03T8", "9haeYD1tIf4v8xs7"),
    "HISTORY": ("MTlsOESZ6geZTjeaubOdR71tobe0KqE7", "7BqAGp1HPY9Ox66w"),
    "RESERVATION": ("0OrB5XVgkYpoybWeGIUkattMb4lTLQgz", "ESgYCYV10Iy6qd1y"),
    "CANCEL_HISTORY": ("aU3y0PTXraB2SEYj1ACwtTYKxiYBvH4g", "fro2JXImhmbDtDNx"),
    "WEBHOOK": ("f3Kq9ZrT0bWm7XcV2nLp5HsJ8dYg4AeU", "Qm2Rk7Tz9Wx4Vb1N"),
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
    """The AES pairs: the wire, and one per encrypted table."""

    connection: Cipher
    history: Cipher
    reservation: Cipher
    cancel_history: Cipher
    webhook: Cipher


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
    load_plugins: bool = True
    webhooks: WebhookDelivery = field(default_factory=WebhookDelivery)
    deliver_webhooks: bool = True
    internal_webhook_capacity: int = 100
    max_body_bytes: int = 1024 * 1024
    database_schema: str = "public"
    database_readonly_user: str | None = None
    database_readonly_password: str | None = field(default=None, repr=False)
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
            signing_secret=self.text("PAYMENT_WEBHOOK_SIGNING_SECRET"),
        )
        values: dict[str, Any] = {
            "mode": mode,
            "database_url": self.text("PAYMENT_DATABASE_URL", default_db),
            "host": self.text("PAYMENT_API_HOST", "127.0.0.1"),
            "port": port,
            "workers": self.positive_int("PAYMENT_WORKERS", 2),
            "vendors": self.vendors(),
            "vendor_timeout_s": self.seconds("PAYMENT_VENDOR_TIMEOUT_S", 10.0),
            "load_plugins": self.flag("PAYMENT_LOAD_PLUGINS", True),
            "webhooks": delivery,
            "deliver_webhooks": self.flag("PAYMENT_DELIVER_WEBHOOKS", True),
            "internal_webhook_capacity": self.positive_int(
                "PAYMENT_INTERNAL_WEBHOOK_CAPACITY", 100
            ),
            "max_body_bytes": self.positive_int("PAYMENT_MAX_BODY_BYTES", 1024 * 1024),
            "database_schema": self.identifier("PAYMENT_DATABASE_SCHEMA", "public"),
            "database_readonly_user": self.identifier("PAYMENT_DATABASE_READONLY_USER", None),
            "database_readonly_password": self.text("PAYMENT_DATABASE_READONLY_PASSWORD"),
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
        keys = values.pop("keys", None) or Keys(
            connection=ciphers["CONNECTION"],  # type: ignore[arg-type]
            history=ciphers["HISTORY"],  # type: ignore[arg-type]
            reservation=ciphers["RESERVATION"],  # type: ignore[arg-type]
            cancel_history=ciphers["CANCEL_HISTORY"],  # type: ignore[arg-type]
            webhook=ciphers["WEBHOOK"],  # type: ignore[arg-type]
        )
        return Settings(keys=keys, **values)
