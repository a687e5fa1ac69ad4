"""The tables (docs/payment-api.md §3), plus the outbox columns that make webhook delivery durable.

Every `data`/`previous`/`current` column holds AES ciphertext (each table with its own key);
encryption happens in `payments/`, so these models only ever see opaque text.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from .types import Money, UTCDateTime


class Base(DeclarativeBase):
    # Prisma's naming, so the schema reads like the original's (docs/payment-api.md §3.1).
    metadata = MetaData(
        naming_convention={
            "pk": "%(table_name)s_pkey",
            "uq": "%(table_name)s_%(column_0_N_name)s_key",
            "ix": "%(table_name)s_%(column_0_N_name)s_idx",
            "fk": "%(table_name)s_%(column_0_name)s_fkey",
        }
    )


def new_id() -> str:
    return str(uuid.uuid4())


# Ids are UUID strings in a fixed-width text column: identical on both databases, and the wire
# form (docs/payment-api.md §3: `uuid` in PostgreSQL) is a lowercase canonical string either way.
Id = String(36)


class SourcedRecord:
    """What payments and reservations share: the service's source record, the gateway's
    identifiers, and the password that opens the record. Each is unique in its table."""

    @declared_attr.directive
    def __table_args__(cls) -> tuple[UniqueConstraint, ...]:
        # A function, so that each table gets constraint objects of its own.
        return (
            UniqueConstraint("source_schema", "source_table", "source_id"),
            UniqueConstraint("vendor_code", "vendor_uid"),
        )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    source_schema: Mapped[str] = mapped_column(String(255))
    source_table: Mapped[str] = mapped_column(String(255))
    source_id: Mapped[str] = mapped_column(String(255))
    vendor_code: Mapped[str] = mapped_column(String(64))
    vendor_uid: Mapped[str] = mapped_column(String(255))
    vendor_store_id: Mapped[str] = mapped_column(String(255))
    password: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PaymentReservation(SourcedRecord, Base):
    """A saved card or billing key at a gateway, for subscription ("simple") payments."""

    __tablename__ = "payment_reservations"

    title: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)


class PaymentHistoryClaim(SourcedRecord, Base):
    """A registration in flight: it holds the source and the vendor uid from before the gateway
    approves until the payment is recorded (then this row becomes a `PaymentHistory` with the
    same id), so that a duplicate is refused before the gateway acts. Kept in a table of its
    own so that no query of payments has to tell claims apart."""

    __tablename__ = "payment_history_claims"

    price: Mapped[Decimal] = mapped_column(Money)
    webhook_url: Mapped[str] = mapped_column(String(1024))
    data: Mapped[str] = mapped_column(Text)
    """The history key's ciphertext of null, as claims always had: at rest every `data` is
    ciphertext, and a downgrade can put the claim back among the histories as it was."""


class PaymentHistory(SourcedRecord, Base):
    """One payment, recorded once the gateway approved it: `confirmed_at` is when (nullable only
    because claims, before migration 0006, were rows of this table without it)."""

    __tablename__ = "payment_histories"

    currency: Mapped[str] = mapped_column(String(16))
    price: Mapped[Decimal] = mapped_column(Money)
    refund: Mapped[Decimal | None] = mapped_column(Money, nullable=True)
    webhook_url: Mapped[str] = mapped_column(String(1024))
    data: Mapped[str] = mapped_column(Text)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Single flight of inbound gateway webhooks: the process re-fetching this payment holds
    # the lease; an event arriving meanwhile only sets `sync_requested_at`, and one trailing
    # fetch takes it up once `PAYMENT_WEBHOOK_REFETCH_INTERVAL_S` has passed since the last
    # fetch began (`sync_fetched_at`).
    sync_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sync_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sync_fetched_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # What the janitor (healing/) reads without decrypting `data`: when the gateway's record
    # was last fetched, and the deadline of a payment the gateway still awaits (a virtual
    # account's deposit; NULL once it is paid, cancelled or expired).
    synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)

    cancels: Mapped[list[PaymentHistoryCancel]] = relationship(
        order_by="(PaymentHistoryCancel.created_at, PaymentHistoryCancel.sequence)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )
    pending_refunds: Mapped[list[PaymentHistoryPendingRefund]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )


class PaymentHistoryCancel(Base):
    """One refund as the gateway lists it. `sequence` is its position in the gateway's own
    (append-only) list, which is what makes re-synchronizing idempotent."""

    __tablename__ = "payment_history_cancels"
    __table_args__ = (UniqueConstraint("payment_history_id", "sequence"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    payment_history_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_histories.id", ondelete="CASCADE")
    )
    sequence: Mapped[int] = mapped_column(Integer)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PaymentHistoryPendingRefund(Base):
    """A refund asked of the gateway whose outcome is not recorded yet.

    Reserved (in the transaction that checks the refundable remainder) before the gateway is
    called, so concurrent refunds can never add up to more than the price; deleted when the
    outcome is recorded or known to have failed. Once `expires_at` has passed (the call timed
    out, or its process died) the outcome is unknown: it is settled by re-fetching the payment
    from the gateway, never guessed.
    """

    __tablename__ = "payment_history_pending_refunds"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    payment_history_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_histories.id", ondelete="CASCADE"), index=True
    )
    amount: Mapped[Decimal] = mapped_column(Money)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class PaymentHistoryWebhook(Base):
    """One change of a payment, and the outbox entry that tells the service about it.

    Written in the same transaction as the change. `status` moves pending → delivered, or
    pending → failed once `deadline_at` passes; `claimed_until` is the lease of the process
    delivering it right now (a crashed process's lease simply runs out).
    """

    __tablename__ = "payment_history_webhooks"
    __table_args__ = (
        # The claim's whole order (next_attempt_at, then created_at), so that it never sorts
        # a backlog (migration 0014).
        Index("payment_history_webhooks_due_idx", "status", "next_attempt_at", "created_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    payment_history_id: Mapped[str | None] = mapped_column(
        Id, ForeignKey("payment_histories.id", ondelete="CASCADE"), index=True, nullable=True
    )
    schedule_id: Mapped[str | None] = mapped_column(
        Id, ForeignKey("payment_schedules.id", ondelete="CASCADE"), index=True, nullable=True
    )
    """Set instead of `payment_history_id` for an event of a schedule (a declined period, a
    change of status: docs/subscriptions.md), delivered to the schedule's `webhook_url`."""
    previous: Mapped[str] = mapped_column(Text)
    current: Mapped[str] = mapped_column(Text)
    data: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)
    """The id of the request that caused the change: sent as `X-Request-Id` with the webhook."""

    responses: Mapped[list[PaymentHistoryWebhookResponse]] = relationship(
        order_by="PaymentHistoryWebhookResponse.created_at",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class PaymentHistoryWebhookResponse(Base):
    """One delivery attempt: the receiver's status and body, or the error that prevented one."""

    __tablename__ = "payment_history_webhook_responses"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    payment_history_webhook_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_history_webhooks.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """One `Idempotency-Key` of one route: who holds it now, and the final answer once known.

    `status` stays NULL while the first request runs (`locked_until` is its lease) or after it
    ended with an unknown outcome (`unknown` set, lease released): a retry with the same key
    then takes the row over and finishes the job. A final answer is kept until `expires_at`.
    """

    __tablename__ = "payment_idempotency_keys"
    __table_args__ = (UniqueConstraint("route", "key"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    route: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(36))
    locked_until: Mapped[datetime] = mapped_column(UTCDateTime)
    unknown: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    context: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # The record the first request showed its password opens (or created), and that record's
    # bcrypt hash then: a later request with this key must open it too before it is told
    # anything about the key (NULL while nothing has been shown yet).
    auth_record: Mapped[str | None] = mapped_column(String(36), nullable=True)
    auth_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)


class ApprovalFailure(Base):
    """A payment the gateway refused to approve or charge (declined card, amount mismatch, an
    error it answered): counted for the console's overview, kept a week by the housekeeper.
    Refused registrations leave no payment behind, so this is their only trace."""

    __tablename__ = "payment_approval_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    vendor_code: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(128))
    """The gateway's code when it gave one, else the kind of failure."""
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AuthFailure(Base):
    """One password check counted against one budget (`client`: a client address or block,
    or ``record:<id>``): reserved before its bcrypt runs, deleted again if the password was
    right, so what stays is a failure (a wrong password or an unknown record).

    Rows live for one throttling window: every server process counts a budget's recent rows
    before spending bcrypt, so an attacker spread over processes is counted once.
    """

    __tablename__ = "payment_auth_failures"
    __table_args__ = (Index("payment_auth_failures_client_failed_at_idx", "client", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # A check reserves its rows (one per budget it spends: the client, its IPv6 /48, the
    # record) under one attempt id before bcrypt runs, and deletes them when it succeeded.
    attempt: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    pending: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """The check is still running (reserved, bcrypt not answered yet); false: a failure."""


class ConsoleOperator(Base):
    """A person who may log in to the operator console (docs/console.md). There is no default
    one: `payment-service operators add` makes them. `password` is an argon2id hash; a disabled
    operator keeps its row (the audit log names it) but can no longer log in."""

    __tablename__ = "console_operators"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ConsoleAuditEntry(Base):
    """One operator action, appended and never changed: nothing updates or deletes these rows."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    operator: Mapped[str | None] = mapped_column(String(320), nullable=True)
    """The operator's email (as typed, for a failed login of an unknown one)."""
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    outcome: Mapped[str] = mapped_column(Text)
    client: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128), nullable=True)


class JanitorCheck(Base):
    """A record in doubt that the janitor re-checks with its gateway (healing/janitor.py).

    `kind` is `claim` (a registration whose approval had an unknown outcome), `refund` (a
    payment with refunds of unknown outcome) or `payment` (a payment the gateway still awaits,
    past its due date or not heard of for longer than the gateway retries its webhooks).
    `checks` counts the re-checks made; `next_check_at` is when the next one is due (pushed
    ahead while one is under way, so two housekeepers never check the same record at once);
    `gave_up_at` is set once the schedule is spent and a finding was raised.
    """

    __tablename__ = "payment_janitor_checks"
    __table_args__ = (UniqueConstraint("kind", "record_id"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[str] = mapped_column(Id)
    vendor_code: Mapped[str] = mapped_column(String(64))
    vendor_uid: Mapped[str] = mapped_column(String(255))
    in_doubt_since: Mapped[datetime] = mapped_column(UTCDateTime)
    checks: Mapped[int] = mapped_column(Integer, default=0)
    next_check_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(Text, nullable=True)
    gave_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Finding(Base):
    """Something a person should look at: found by reconciliation or raised by the janitor.

    `kind`: `orphan`, `drift`, `unknown` or `janitor-gave-up`; `state`: `open`, `repaired` or
    `ignored`. `open_key` is the finding's identity (kind, vendor, record) while it is open and
    NULL once closed: unique, so finding the same thing again updates the open finding instead
    of adding one, on both databases (NULLs never collide).
    """

    __tablename__ = "payment_findings"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(32), index=True)
    state: Mapped[str] = mapped_column(String(16), index=True)
    open_key: Mapped[str | None] = mapped_column(String(400), nullable=True, unique=True)
    vendor_code: Mapped[str] = mapped_column(String(64))
    vendor_store_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    vendor_uid: Mapped[str] = mapped_column(String(255))
    record_id: Mapped[str | None] = mapped_column(Id, nullable=True)
    """The payment history (or claim) concerned; NULL for an orphan."""
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    """JSON: what was found (the differing fields, the amount held, the last answer)."""
    found_by: Mapped[str] = mapped_column(String(64))
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    times_seen: Mapped[int] = mapped_column(Integer, default=1)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(255), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    events: Mapped[list[FindingEvent]] = relationship(
        order_by="FindingEvent.id",  # the order they were written in
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class FindingEvent(Base):
    """The audit trail of a finding: found, seen again, repaired, ignored, a failed repair —
    who acted (a command's user, an operator, `housekeeper`) and why."""

    __tablename__ = "payment_finding_events"

    # A counter, not a UUID: the trail's order when several steps share one instant.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    finding_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_findings.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)


class ReconcileRun(Base):
    """The scheduled reconciliation of one vendor: the end of the last window reconciled, and
    the lease of the housekeeper running it now (one run at a time across instances)."""

    __tablename__ = "payment_reconcile_runs"

    vendor_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    running_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    running_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class PaymentSchedule(Base):
    """A recurring charge of a saved card (docs/subscriptions.md): `price` every `every` from
    `first_at` (the anchor: month periods keep its day, on the last day of shorter months).
    `next_sequence` / `next_at` name the next period to open; `retries` (JSON, ISO-8601
    durations) when a declined period is tried again, counted from its due time. `password`
    is the reservation's bcrypt hash, which also protects the payments it makes."""

    __tablename__ = "payment_schedules"

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    reservation_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_reservations.id", ondelete="CASCADE"), index=True
    )
    price: Mapped[Decimal] = mapped_column(Money)
    title: Mapped[str] = mapped_column(Text)
    every: Mapped[str] = mapped_column(String(8))
    first_at: Mapped[datetime] = mapped_column(UTCDateTime)
    retries: Mapped[str] = mapped_column(Text)
    webhook_url: Mapped[str] = mapped_column(String(1024))
    password: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
    next_sequence: Mapped[int] = mapped_column(Integer)
    next_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    periods: Mapped[list[PaymentSchedulePeriod]] = relationship(
        order_by="PaymentSchedulePeriod.sequence",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )


class PaymentSchedulePeriod(Base):
    """One period of a schedule, opened when it falls due and charged exactly once: unique per
    schedule and sequence, and its id is the order id (`source.id`) of its charge, so that a
    second housekeeper or a retry after a crash finds the same order at the gateway.

    `leased_until`: the housekeeper charging it right now (a crashed one's lease runs out, and
    the next attempt settles what it did from the gateway before charging)."""

    __tablename__ = "payment_schedule_periods"
    __table_args__ = (
        UniqueConstraint("schedule_id", "sequence"),
        Index("payment_schedule_periods_status_next_attempt_at_idx", "status", "next_attempt_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True, default=new_id)
    schedule_id: Mapped[str] = mapped_column(
        Id, ForeignKey("payment_schedules.id", ondelete="CASCADE")
    )
    sequence: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    leased_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    history_id: Mapped[str | None] = mapped_column(
        Id, ForeignKey("payment_histories.id", ondelete="SET NULL"), nullable=True
    )
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundWebhookId(Base):
    """A signed gateway webhook already received (Standard Webhooks `webhook-id`, hashed),
    kept until its signature would be refused as too old: a replay is answered without work."""

    __tablename__ = "payment_inbound_webhook_ids"

    vendor_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class AtRestSeal(Base):
    """A keyring whose every value `rotate-keys` has rewritten bound to its place: in `real`
    mode (`PAYMENT_AT_REST_REQUIRE_BOUND=auto`) its unbound values are refused from then on."""

    __tablename__ = "payment_at_rest_seals"

    keyring: Mapped[str] = mapped_column(String(32), primary_key=True)
    sealed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InboundBudget(Base):
    """Inbound gateway webhooks accepted per vendor and minute, shared by every process."""

    __tablename__ = "payment_inbound_budgets"

    vendor_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    used: Mapped[int] = mapped_column(Integer)
