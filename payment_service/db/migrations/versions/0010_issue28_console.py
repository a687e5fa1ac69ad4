"""The operator console: its operators, and the audit log of their actions."""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import UTCDateTime

revision = "0010_issue28"
down_revision = "0008_issue27"


def upgrade() -> None:
    op.create_table(
        "console_operators",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("password", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("console_operators_pkey")),
        sa.UniqueConstraint("email", name=op.f("console_operators_email_key")),
    )
    op.create_table(
        "console_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("operator", sa.String(length=320), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("console_audit_pkey")),
    )
    with op.batch_alter_table("console_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("console_audit_at_idx"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("console_audit_target_idx"), ["target"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("console_audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("console_audit_target_idx"))
        batch_op.drop_index(batch_op.f("console_audit_at_idx"))
    op.drop_table("console_audit")
    op.drop_table("console_operators")
