"""Every setting of the server, declared once.

Each field below is a setting: its `PAYMENT_*` variable, default, parser, the process roles
that read it, whether it is secret, its topic and one line of documentation. Loading and
validation (`Settings.load`: every problem reported at once), redaction (`repr`,
`/monitors/system`), `payment-service settings [--markdown]` and docs/configuration.md all come
from these declarations (`schema.py` says how). Consumers read `settings.<name>` and
`settings.webhooks.<name>`, `settings.keys.<table>`.

To add a setting: one `setting(...)` field in the class that holds its kind, then
`payment-service settings --markdown > docs/configuration.md`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..delivery.url_policy import SETTING as ALLOWED_NETWORKS_SETTING
from ..delivery.url_policy import AddressPolicy
from ..durations import format_duration, parse_duration
from ..keyrings import AtRestKeyring, WireKeyring
from . import parsers
from .keys import PUBLISHED_KEYS, PUBLISHED_VALUES, KeysGroup, keyring
from .loading import Reader, SettingsError, Sources
from .parsers import IPNetwork
from .redaction import URL_PASSWORD, VENDOR_CREDENTIALS
from .schema import (
    API,
    CLI,
    DATABASE_ROLES,
    FAKES,
    HOUSEKEEPER,
    SENDER,
    VENDOR_ROLES,
    ByMode,
    Computed,
    Context,
    Declared,
    Invalid,
    Role,
    Variable,
    declared,
    declared_fields,
    group,
    setting,
    variables_of,
)

__all__ = [
    "MODES",
    "PUBLISHED_KEYS",
    "PUBLISHED_VALUES",
    "IPNetwork",
    "Keys",
    "Role",
    "Settings",
    "SettingsError",
    "Variable",
    "WebhookDelivery",
    "variables",
]

MODES = ("local", "dev", "real")
FINGERPRINT_KEY = "PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY"
FINGERPRINT_DERIVATION = b"payment-service idempotency fingerprint"
LOG_FORMATS = ("text", "json")

# Topics: the sections of the reference (in the order their first setting is declared).
SERVING = "Mode and HTTP server"
DATABASE = "Database"
KEYS = "Keys"
GATEWAYS = "Gateways (vendor plugins)"
WEBHOOKS = "Webhooks to your services"
PASSWORDS = "Password checks"
OBSERVABILITY = "Observability"
CONSOLE = "Operator console"
HEALING = "Self-healing: the janitor and scheduled reconciliation"


@dataclass(frozen=True, repr=False)
class Keys(Declared):
    """The AES pairs: the wire, and one per encrypted table. Each is a keyring: the current
    pair (`.key`, `.iv`) encrypts, previous pairs (`PAYMENT_*_PREVIOUS_KEYS`) still decrypt."""

    connection: WireKeyring = keyring(
        "CONNECTION", "the wire: every encrypted body and webhook", (API, SENDER)
    )
    history: AtRestKeyring = keyring(
        "HISTORY", "payments' gateway data at rest", (API, HOUSEKEEPER, CLI)
    )
    reservation: AtRestKeyring = keyring(
        "RESERVATION", "reservations (billing keys) at rest", (API, HOUSEKEEPER, CLI)
    )
    cancel_history: AtRestKeyring = keyring(
        "CANCEL_HISTORY", "refunds at rest", (API, HOUSEKEEPER, CLI)
    )
    webhook: AtRestKeyring = keyring(
        "WEBHOOK", "outgoing webhooks' snapshots at rest", DATABASE_ROLES
    )
    idempotency: AtRestKeyring = keyring(
        "IDEMPOTENCY", "idempotent answers at rest", (API, HOUSEKEEPER, CLI)
    )


def _describe_policy(policy: AddressPolicy) -> str:
    if policy.allow_all:
        return "any address"
    if policy.refuse_internal:
        return "any address but internal ones"
    return ",".join([*map(str, policy.networks), *sorted(policy.hosts)])


def _address_policy(raw: str, context: Context) -> AddressPolicy:
    try:
        return AddressPolicy.parse(raw, context.mode)
    except ValueError as error:
        raise Invalid(str(error)) from None


@dataclass(frozen=True, repr=False)
class WebhookDelivery(Declared):
    """Outgoing webhook delivery: pool size, timeouts and the retry schedule (seconds)."""

    workers: int = setting(
        "PAYMENT_WEBHOOK_WORKERS", 4, parsers.positive_int, [SENDER],
        "delivery threads per process",
        topic=WEBHOOKS,
    )  # fmt: skip
    timeout_s: float = setting(
        "PAYMENT_WEBHOOK_TIMEOUT_S", 10.0, parsers.seconds, [SENDER],
        "deadline of one whole delivery attempt (connect, send, answer)",
        topic=WEBHOOKS,
    )  # fmt: skip
    retry_base_s: float = setting(
        "PAYMENT_WEBHOOK_RETRY_BASE_S", 30.0, parsers.seconds, [SENDER],
        "first retry delay; doubles each attempt (with jitter)",
        topic=WEBHOOKS,
    )  # fmt: skip
    retry_max_s: float = setting(
        "PAYMENT_WEBHOOK_RETRY_MAX_S", 6 * 3600.0, parsers.seconds, [SENDER],
        "longest delay between attempts (6 h)",
        topic=WEBHOOKS,
    )  # fmt: skip
    deadline_s: float = setting(
        "PAYMENT_WEBHOOK_DEADLINE_S", 3 * 24 * 3600.0, parsers.seconds, [API, SENDER, CLI],
        "give up (status `failed`) this long after the change (3 days)",
        topic=WEBHOOKS,
    )  # fmt: skip
    lease_s: float = setting(
        "PAYMENT_WEBHOOK_LEASE_S", 120.0, parsers.seconds, [SENDER],
        "how long a claimed webhook is reserved for its sender",
        topic=WEBHOOKS,
    )  # fmt: skip
    poll_s: float = setting(
        "PAYMENT_WEBHOOK_POLL_S", 1.0, parsers.seconds, [SENDER],
        "how often an idle sender looks for due webhooks (it is also woken by each new one)",
        topic=WEBHOOKS,
    )  # fmt: skip
    signing_secret: str | None = setting(
        "PAYMENT_WEBHOOK_SIGNING_SECRET", None, parsers.signing_secrets, [SENDER],
        "sign webhooks (Standard Webhooks): `whsec_<base64>` or any text without spaces; "
        "several, space-separated, sign each delivery with each (rotation); `real` mode needs "
        "each to hold at least 24 random bytes",
        topic=WEBHOOKS, secret=True,
    )  # fmt: skip
    host_concurrency: int | None = setting(
        "PAYMENT_WEBHOOK_HOST_CONCURRENCY", None, parsers.positive_int, [SENDER],
        "delivery threads of one process that may send to one receiver "
        "(`scheme://host:port`) at once",
        topic=WEBHOOKS, shown_default="all delivery threads but one",
    )  # fmt: skip
    allowed_networks: AddressPolicy = setting(
        ALLOWED_NETWORKS_SETTING,
        ByMode(
            lambda mode: AddressPolicy.parse(None, mode),
            "`local`: any; `dev`/`real`: all but loopback, link-local, cloud metadata, special",
        ),
        _address_policy, [API, SENDER],
        "where webhooks may be delivered: comma-separated CIDRs and/or host names "
        "(checked at registration for address literals, at connect time for every address)",
        topic=WEBHOOKS, show=_describe_policy,
    )  # fmt: skip

    @property
    def host_limit(self) -> int:
        """Threads of one process that may deliver to one receiver at once: all but one of
        `workers` by default, so a slow receiver always leaves a thread to the others."""
        return self.host_concurrency or max(1, self.workers - 1)

    @property
    def signing_secrets(self) -> tuple[str, ...]:
        """Every secret to sign with: the variable holds one or more, separated by spaces."""
        return tuple((self.signing_secret or "").split())


JANITOR_SCHEDULE = tuple(parse_duration(d) for d in ("5m", "1h", "1d", "1d", "1d"))


def _show_durations(value: tuple[timedelta, ...]) -> str:
    return ",".join(format_duration(d) for d in value)


def _show_optional_duration(value: timedelta | None) -> str:
    return "off" if value is None else format_duration(value)


def _default_database() -> str:
    return f"sqlite:///{Path.cwd() / 'payment-service.sqlite3'}"


@dataclass(frozen=True, repr=False)
class Settings(Declared):
    mode: str = setting(
        "PAYMENT_MODE", "local", parsers.choice(*MODES), [*DATABASE_ROLES],
        "`local`, `dev` or `real`: only `local` may run on the published keys; `dev` and "
        "`real` need every key set to a secret value; `real` also removes the test receiver",
        topic=SERVING,
    )  # fmt: skip
    host: str = setting(
        "PAYMENT_API_HOST", "127.0.0.1", parsers.text, [API],
        "interface `serve` listens on (also `--host`)",
        topic=SERVING,
    )  # fmt: skip
    port: int = setting(
        "PAYMENT_API_PORT", 37821, parsers.port, [API],
        "port `serve` listens on (also `--port`)",
        topic=SERVING,
    )  # fmt: skip
    workers: int = setting(
        "PAYMENT_WORKERS", 2, parsers.positive_int, [API],
        "gunicorn worker processes of `serve` (also `--workers`)",
        topic=SERVING,
    )  # fmt: skip
    unsafe_expose_local_mode: bool = setting(
        "PAYMENT_UNSAFE_EXPOSE_LOCAL_MODE", False, parsers.flag, [API],
        "let the API listen beyond loopback in `local` mode, with its published keys (what "
        "`serve --unsafe-expose-local-mode` sets)",
        topic=SERVING,
    )  # fmt: skip
    housekeeping_interval_s: float = setting(
        "PAYMENT_HOUSEKEEPING_INTERVAL_S", 5.0, parsers.seconds, [HOUSEKEEPER],
        "seconds between two rounds of the housekeeper's jobs",
        topic=SERVING,
    )  # fmt: skip
    janitor_schedule: tuple[timedelta, ...] = setting(
        "PAYMENT_JANITOR_SCHEDULE", JANITOR_SCHEDULE, parsers.durations, [HOUSEKEEPER, CLI],
        "the janitor checks a record in doubt with its gateway when found, then after each of "
        "these delays (comma-separated); still in doubt after the last, it becomes a finding "
        "(docs/janitor.md)",
        topic=HEALING, show=_show_durations, shown_default="`5m,1h,1d,1d,1d`",
    )  # fmt: skip
    reconcile_every: timedelta | None = setting(
        "PAYMENT_RECONCILE_EVERY", None, parsers.optional_duration, [HOUSEKEEPER],
        "reconcile every vendor that can list its payments this often (e.g. `1h`), over the "
        "window since the last run with some overlap, one run at a time across housekeepers; "
        "`off`: never (docs/janitor.md)",
        topic=HEALING, show=_show_optional_duration, shown_default="`off`",
    )  # fmt: skip
    max_body_bytes: int = setting(
        "PAYMENT_MAX_BODY_BYTES", 1024 * 1024, parsers.positive_int, [API],
        "larger request bodies get 413",
        topic=SERVING,
    )  # fmt: skip
    idempotency_ttl_s: float = setting(
        "PAYMENT_IDEMPOTENCY_TTL_S", 86400.0, parsers.seconds, [API, HOUSEKEEPER],
        "how long an `Idempotency-Key` and its answer are kept (one day)",
        topic=SERVING,
    )  # fmt: skip
    cors_origins: tuple[str, ...] = setting(
        "PAYMENT_CORS_ORIGINS",
        ByMode(lambda mode: ("*",) if mode == "local" else (), "`local`: `*`; `dev`/`real`: none"),
        parsers.origins, [API],
        "origins browsers may call from: `*`, or comma-separated `https://host[:port]`",
        topic=SERVING,
    )  # fmt: skip
    database_url: str = setting(
        "PAYMENT_DATABASE_URL",
        Computed(_default_database, "`sqlite:///<working directory>/payment-service.sqlite3`"),
        parsers.text, DATABASE_ROLES,
        "SQLAlchemy URL; PostgreSQL: `postgresql+psycopg://user:password@host:5432/db`",
        topic=DATABASE, secret=URL_PASSWORD,
    )  # fmt: skip
    database_timeout_s: float = setting(
        "PAYMENT_DATABASE_TIMEOUT_S", 10.0, parsers.seconds, DATABASE_ROLES,
        "longest wait on the database: connect, statement, lock, pool checkout, SQLite busy "
        "timeout",
        topic=DATABASE,
    )  # fmt: skip
    database_schema: str = setting(
        "PAYMENT_DATABASE_SCHEMA", "public", parsers.identifier, DATABASE_ROLES,
        "PostgreSQL schema holding the tables (created by `setup-db`)",
        topic=DATABASE,
    )  # fmt: skip
    at_rest_require_bound: str = setting(
        "PAYMENT_AT_REST_REQUIRE_BOUND", "auto", parsers.choice("auto", "always", "never"),
        DATABASE_ROLES,
        "refuse stored values not sealed in an envelope bound to their table, column and row "
        "(unmarked or older envelopes): `auto`, in `real` mode, for the tables `rotate-keys` "
        "has rewritten completely; `always`; `never`",
        topic=DATABASE,
    )  # fmt: skip
    admin_database_url: str | None = setting(
        "PAYMENT_ADMIN_DATABASE_URL", None, parsers.text, [CLI],
        "`setup-db`: a PostgreSQL role that may create roles and databases, e.g. "
        "`postgresql+psycopg://postgres:…@host:5432/postgres` (kept out of the process list; "
        "`--admin-url -` reads it from standard input instead)",
        topic=DATABASE, secret=URL_PASSWORD,
    )  # fmt: skip
    database_readonly_user: str | None = setting(
        "PAYMENT_DATABASE_READONLY_USER", None, parsers.identifier, [CLI],
        "read-only role `setup-db` creates (SELECT on every table of the schema, now and later)",
        topic=DATABASE,
    )  # fmt: skip
    database_readonly_password: str | None = setting(
        "PAYMENT_DATABASE_READONLY_PASSWORD", None, parsers.text, [CLI],
        "its password (required with `PAYMENT_DATABASE_READONLY_USER`)",
        topic=DATABASE, secret=True,
    )  # fmt: skip
    keys: Keys = declared(KeysGroup(Keys), Keys)
    idempotency_fingerprint_key: str | None = setting(
        FINGERPRINT_KEY, None, parsers.mac_key, [API],
        "the HMAC-SHA256 key of the request fingerprints kept with idempotency keys (at "
        "least 32 characters; never stored in the database, so a reader of the database "
        "cannot test guessed bodies against them)",
        topic=KEYS, secret=True,
        shown_default="`local`/`dev`: derived from the idempotency table's key; `real`: required",
    )  # fmt: skip
    vendors: Mapping[str, Mapping[str, Any]] = setting(
        "PAYMENT_VENDORS", {}, parsers.vendor_options, VENDOR_ROLES,
        "JSON: per vendor code, `base_url`, `timeout_s`, `default` and per-`stores` "
        "credentials (each plugin is given only its own entries; see below)",
        topic=GATEWAYS, secret=VENDOR_CREDENTIALS, shown_default="`{}`",
    )  # fmt: skip
    vendor_timeout_s: float = setting(
        "PAYMENT_VENDOR_TIMEOUT_S", 10.0, parsers.seconds, VENDOR_ROLES,
        "overall deadline of every call to a gateway (connect and the whole answer)",
        topic=GATEWAYS,
    )  # fmt: skip
    load_plugins: bool = setting(
        "PAYMENT_LOAD_PLUGINS", True, parsers.flag, VENDOR_ROLES,
        "load vendor plugins from installed entry points",
        topic=GATEWAYS,
    )  # fmt: skip
    trace_hooks: bool = setting(
        "PAYMENT_TRACE_HOOKS", False, parsers.flag, [*VENDOR_ROLES, FAKES],
        "log every plugin hook call at INFO (logger `payment_service.hooks`): the plugins "
        "called and how many results or which error came back, never the arguments",
        topic=GATEWAYS,
    )  # fmt: skip
    webhooks: WebhookDelivery = group(WebhookDelivery)
    webhook_refetch_interval_s: float = setting(
        "PAYMENT_WEBHOOK_REFETCH_INTERVAL_S", 2.0, parsers.zero_or_more_seconds,
        [API, HOUSEKEEPER, CLI],
        "inbound gateway webhooks: least time between two re-fetches of one payment (events "
        "meanwhile are coalesced into one trailing fetch); `0`: no pause, still one at a time",
        topic=WEBHOOKS,
    )  # fmt: skip
    webhook_inbound_per_minute: int = setting(
        "PAYMENT_WEBHOOK_INBOUND_PER_MINUTE", 600, parsers.zero_or_more, [API],
        "inbound gateway webhooks accepted per vendor and minute, all processes together; "
        "beyond, 429; `0` turns the budget off",
        topic=WEBHOOKS,
    )  # fmt: skip
    internal_webhook_capacity: int = setting(
        "PAYMENT_INTERNAL_WEBHOOK_CAPACITY", 100, parsers.positive_int, [API],
        "webhooks the test receiver (`/payments/internal/webhook`, not in `real` mode) keeps",
        topic=WEBHOOKS,
    )  # fmt: skip
    password_cache_s: float = setting(
        "PAYMENT_PASSWORD_CACHE_S", 600.0, parsers.zero_or_more_seconds, [API],
        "how long a verified record password skips bcrypt; `0` turns the cache off",
        topic=PASSWORDS,
    )  # fmt: skip
    password_cache_entries: int = setting(
        "PAYMENT_PASSWORD_CACHE_ENTRIES", 10_000, parsers.positive_int, [API],
        "records whose verified password a process remembers (least recently used leave first)",
        topic=PASSWORDS,
    )  # fmt: skip
    auth_failures_max: int = setting(
        "PAYMENT_AUTH_FAILURES_MAX", 20, parsers.zero_or_more, [API],
        "failed password checks per client address and window before 429; `0` turns "
        "throttling off",
        topic=PASSWORDS,
    )  # fmt: skip
    auth_failures_ipv6_48_max: int | None = setting(
        "PAYMENT_AUTH_FAILURES_IPV6_48_MAX", None, parsers.zero_or_more, [API],
        "failed password checks per IPv6 /48 block and window before 429 (one site can pick "
        "among 65,536 /64s, each with its own client budget); `0` turns this budget off",
        topic=PASSWORDS, shown_default="4 × `PAYMENT_AUTH_FAILURES_MAX`",
    )  # fmt: skip
    auth_failures_window_s: float = setting(
        "PAYMENT_AUTH_FAILURES_WINDOW_S", 60.0, parsers.seconds, [API, HOUSEKEEPER],
        "the sliding window of that count (seconds)",
        topic=PASSWORDS,
    )  # fmt: skip
    trusted_proxies: tuple[IPNetwork, ...] = setting(
        "PAYMENT_TRUSTED_PROXIES", (), parsers.networks, [API],
        "proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` names the "
        "client",
        topic=PASSWORDS, shown_default="—",
    )  # fmt: skip
    metrics: bool = setting(
        "PAYMENT_METRICS", True, parsers.flag, [API, SENDER, HOUSEKEEPER],
        "serve `GET /metrics` and record metrics (`off`: neither)",
        topic=OBSERVABILITY,
    )  # fmt: skip
    log_format: str = setting(
        "PAYMENT_LOG_FORMAT", "text", parsers.choice(*LOG_FORMATS, lower=True),
        DATABASE_ROLES,
        "`text` or `json` (one object per line) for every log line, the access line included",
        topic=OBSERVABILITY,
    )  # fmt: skip
    console: bool = setting(
        "PAYMENT_CONSOLE",
        ByMode(lambda mode: mode == "local", "`local`: on; `dev`/`real`: off"),
        parsers.flag, [API],
        "serve the operator console at `/console` (docs/console.md)",
        topic=CONSOLE,
    )  # fmt: skip
    console_idle_s: float = setting(
        "PAYMENT_CONSOLE_IDLE_S", 1800.0, parsers.seconds, [API],
        "a console session unused this long ends (the operator logs in again)",
        topic=CONSOLE,
    )  # fmt: skip
    console_fresh_s: float = setting(
        "PAYMENT_CONSOLE_FRESH_S", 900.0, parsers.seconds, [API],
        "a refund or a resend needs a login younger than this, else a re-login",
        topic=CONSOLE,
    )  # fmt: skip
    environ: Mapping[str, str] = field(default_factory=dict, compare=False)
    """Every variable in effect (the environment over `.env`): plugins are given their own
    declared variables from it. Never shown (`repr` lists declared fields only)."""

    @property
    def ipv6_48_failures_max(self) -> int:
        """The budget of one IPv6 /48 block (`PAYMENT_AUTH_FAILURES_IPV6_48_MAX`)."""
        if self.auth_failures_ipv6_48_max is None:
            return 4 * self.auth_failures_max
        return self.auth_failures_ipv6_48_max

    @property
    def fingerprint_secret(self) -> bytes:
        """The key of idempotency fingerprints: `PAYMENT_IDEMPOTENCY_FINGERPRINT_KEY`, or
        (`local`, `dev`) one derived from the idempotency table's current key."""
        if self.idempotency_fingerprint_key is not None:
            return self.idempotency_fingerprint_key.encode("utf-8")
        derived = hmac.new(
            self.keys.idempotency.key.encode("utf-8"), FINGERPRINT_DERIVATION, hashlib.sha256
        )
        return derived.digest()

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
        """Read the environment (real variables win over `.env`) and validate everything;
        `overrides` (by field name) replace values after validation (tests, `serve`)."""
        settings, problems = read(Sources.gather(environ, env_file))
        known = {item.name for item in dataclasses.fields(cls)}
        problems += [
            f"unknown setting override {name!r}" for name in overrides if name not in known
        ]
        if problems:
            raise SettingsError(problems)
        return dataclasses.replace(settings, **overrides)


def _readonly_user_needs_a_password(settings: Settings, sources: Sources) -> list[str]:
    given = sources.given
    if given("PAYMENT_DATABASE_READONLY_USER") and not given("PAYMENT_DATABASE_READONLY_PASSWORD"):
        return ["PAYMENT_DATABASE_READONLY_PASSWORD: required with PAYMENT_DATABASE_READONLY_USER"]
    return []


def _real_mode_needs_a_fingerprint_key(settings: Settings, sources: Sources) -> list[str]:
    if settings.mode == "real" and not sources.given(FINGERPRINT_KEY):
        return [f"{FINGERPRINT_KEY}: required in real mode"]
    return []


# Checks across settings, run after every variable was read (on the values, and on the texts
# given, since an invalid value was replaced by its default).
CHECKS: tuple[Callable[[Settings, Sources], list[str]], ...] = (
    _readonly_user_needs_a_password,
    _real_mode_needs_a_fingerprint_key,
)


def read(sources: Sources) -> tuple[Settings, list[str]]:
    """The settings `sources` give and every problem with them (the value of a variable with
    a problem is its default)."""
    reader = Reader(sources)
    declarations = dict(declared_fields(Settings))
    reader.mode = declarations["mode"].read(reader)  # first: other defaults depend on it
    values = {
        name: reader.mode if name == "mode" else declaration.read(reader)
        for name, declaration in declarations.items()
    }
    settings = Settings(**values, environ=dict(sources.values))
    problems = reader.problems + [
        problem for check in CHECKS for problem in check(settings, sources)
    ]
    return settings, problems


def variables() -> list[Variable]:
    """Every declared variable of the server, in declaration order."""
    return variables_of(Settings)


def read_variable(name: str, environ: Mapping[str, str] | None = None) -> Any:
    """One declared variable's value from `environ` (default: the process environment), for
    a process that reads nothing else (the fakes read `PAYMENT_TRACE_HOOKS` alone)."""
    (variable,) = [v for v in variables() if v.name == name]
    reader = Reader(Sources.gather(os.environ if environ is None else environ, env_file=None))
    value = reader.read(variable)
    if reader.problems:
        raise SettingsError(reader.problems)
    return value
