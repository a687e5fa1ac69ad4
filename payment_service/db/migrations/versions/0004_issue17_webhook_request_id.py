"""outgoing webhooks remember the request id that caused them

Revision ID: 0004_issue17
Revises: 0003_issue14
Create Date: 2026-11-30 11:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_issue17"
down_revision = "0003_issue14"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_history_webhooks") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_history_webhooks") as batch:
        batch.drop_column("request_id")
