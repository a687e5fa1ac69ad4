"""Outgoing webhooks remember the request id that caused them."""

import sqlalchemy as sa
from alembic import op

revision = "0004_issue17"
down_revision = "0003_issue14"


def upgrade() -> None:
    with op.batch_alter_table("payment_history_webhooks") as batch:
        batch.add_column(sa.Column("request_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_history_webhooks") as batch:
        batch.drop_column("request_id")
