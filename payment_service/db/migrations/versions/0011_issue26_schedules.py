"""Schedules: recurring charges of saved cards, and their periods (issue 26); the outbox also
carries a schedule's events (a webhook row names a payment or a schedule)."""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import Money, UTCDateTime

revision = "0011_issue26"
down_revision = "0010_issue28"

SCHEDULES = "payment_schedules"
PERIODS = "payment_schedule_periods"
WEBHOOKS = "payment_history_webhooks"


def upgrade() -> None:
    op.create_table(
        SCHEDULES,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("price", Money(precision=20, scale=4), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("every", sa.String(length=8), nullable=False),
        sa.Column("first_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("retries", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.String(length=1024), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("next_sequence", sa.Integer(), nullable=False),
        sa.Column("next_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["payment_reservations.id"],
            name=op.f(f"{SCHEDULES}_reservation_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"{SCHEDULES}_pkey")),
    )
    op.create_index(op.f(f"{SCHEDULES}_reservation_id_idx"), SCHEDULES, ["reservation_id"])
    op.create_index(op.f(f"{SCHEDULES}_next_at_idx"), SCHEDULES, ["next_at"])
    op.create_table(
        PERIODS,
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("schedule_id", sa.String(length=36), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("due_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("leased_until", UTCDateTime(timezone=True), nullable=True),
        sa.Column("history_id", sa.String(length=36), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["schedule_id"],
            [f"{SCHEDULES}.id"],
            name=op.f(f"{PERIODS}_schedule_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["history_id"],
            ["payment_histories.id"],
            name=op.f(f"{PERIODS}_history_id_fkey"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"{PERIODS}_pkey")),
        sa.UniqueConstraint(
            "schedule_id", "sequence", name=op.f(f"{PERIODS}_schedule_id_sequence_key")
        ),
    )
    op.create_index(
        f"{PERIODS}_status_next_attempt_at_idx", PERIODS, ["status", "next_attempt_at"]
    )
    with op.batch_alter_table(WEBHOOKS) as batch:
        batch.alter_column("payment_history_id", existing_type=sa.String(length=36), nullable=True)
        batch.add_column(sa.Column("schedule_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            op.f(f"{WEBHOOKS}_schedule_id_fkey"),
            SCHEDULES,
            ["schedule_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_index(op.f(f"{WEBHOOKS}_schedule_id_idx"), ["schedule_id"], unique=False)


def downgrade() -> None:
    # A schedule's events go with the schedules (their attempts first: SQLite may not cascade).
    op.execute(
        "DELETE FROM payment_history_webhook_responses WHERE payment_history_webhook_id IN "
        f"(SELECT id FROM {WEBHOOKS} WHERE payment_history_id IS NULL)"
    )
    op.execute(f"DELETE FROM {WEBHOOKS} WHERE payment_history_id IS NULL")
    with op.batch_alter_table(WEBHOOKS) as batch:
        batch.drop_index(op.f(f"{WEBHOOKS}_schedule_id_idx"))
        batch.drop_constraint(op.f(f"{WEBHOOKS}_schedule_id_fkey"), type_="foreignkey")
        batch.drop_column("schedule_id")
        batch.alter_column(
            "payment_history_id", existing_type=sa.String(length=36), nullable=False
        )
    op.drop_index(f"{PERIODS}_status_next_attempt_at_idx", table_name=PERIODS)
    op.drop_table(PERIODS)
    op.drop_index(op.f(f"{SCHEDULES}_next_at_idx"), table_name=SCHEDULES)
    op.drop_index(op.f(f"{SCHEDULES}_reservation_id_idx"), table_name=SCHEDULES)
    op.drop_table(SCHEDULES)
