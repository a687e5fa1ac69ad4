"""Issue 24: inbound gateway webhooks bounded (when each payment was last re-fetched, the
signed webhook ids already received, each vendor's budget per minute), and the keyrings whose
values `rotate-keys` has bound to their place."""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import UTCDateTime

revision = "0012_issue24b"
down_revision = "0011_issue26"


def upgrade() -> None:
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sync_fetched_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "payment_inbound_webhook_ids",
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "vendor_code", "digest", name=op.f("payment_inbound_webhook_ids_pkey")
        ),
    )
    with op.batch_alter_table("payment_inbound_webhook_ids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("payment_inbound_webhook_ids_expires_at_idx"), ["expires_at"], unique=False
        )
    op.create_table(
        "payment_inbound_budgets",
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        sa.Column("window_start", UTCDateTime(timezone=True), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "vendor_code", "window_start", name=op.f("payment_inbound_budgets_pkey")
        ),
    )


    op.create_table(
        "payment_at_rest_seals",
        sa.Column("keyring", sa.String(length=32), nullable=False),
        sa.Column("sealed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("keyring", name=op.f("payment_at_rest_seals_pkey")),
    )


def downgrade() -> None:
    op.drop_table("payment_at_rest_seals")
    op.drop_table("payment_inbound_budgets")
    with op.batch_alter_table("payment_inbound_webhook_ids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("payment_inbound_webhook_ids_expires_at_idx"))
    op.drop_table("payment_inbound_webhook_ids")
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.drop_column("sync_fetched_at")
