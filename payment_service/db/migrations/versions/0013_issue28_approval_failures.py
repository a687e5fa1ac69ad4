"""Refused approvals and charges, counted for the console's overview (issue 28)."""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import UTCDateTime

revision = "0013_issue28"
down_revision = "0012_issue24b"


def upgrade() -> None:
    op.create_table(
        "payment_approval_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=128), nullable=False),
        sa.Column("failed_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_approval_failures_pkey")),
    )
    with op.batch_alter_table("payment_approval_failures", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("payment_approval_failures_failed_at_idx"), ["failed_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_approval_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("payment_approval_failures_failed_at_idx"))
    op.drop_table("payment_approval_failures")
