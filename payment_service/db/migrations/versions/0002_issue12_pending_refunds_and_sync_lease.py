"""Pending refunds (reserved before the gateway is called) and the inbound-sync lease."""

import sqlalchemy as sa
from alembic import op

import payment_service.db.types

revision = "0002_issue12"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "payment_history_pending_refunds",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("payment_history_id", sa.String(length=36), nullable=False),
        sa.Column("amount", payment_service.db.types.Money(precision=20, scale=4), nullable=False),
        sa.Column(
            "created_at", payment_service.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", payment_service.db.types.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["payment_history_id"],
            ["payment_histories.id"],
            name=op.f("payment_history_pending_refunds_payment_history_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_history_pending_refunds_pkey")),
    )
    with op.batch_alter_table("payment_history_pending_refunds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("payment_history_pending_refunds_payment_history_id_idx"),
            ["payment_history_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("payment_history_pending_refunds_expires_at_idx"),
            ["expires_at"],
            unique=False,
        )
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "sync_lease_until",
                payment_service.db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "sync_requested_at",
                payment_service.db.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.drop_column("sync_requested_at")
        batch_op.drop_column("sync_lease_until")
    with op.batch_alter_table("payment_history_pending_refunds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("payment_history_pending_refunds_expires_at_idx"))
        batch_op.drop_index(batch_op.f("payment_history_pending_refunds_payment_history_id_idx"))
    op.drop_table("payment_history_pending_refunds")
