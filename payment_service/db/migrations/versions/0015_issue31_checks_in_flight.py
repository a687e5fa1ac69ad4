"""Counted password checks say whether they are still running (issue 31).

`payment_auth_failures.pending` is true from a check's reservation until its bcrypt answered:
a wrong password then clears it (the row stays, a failure), a right one deletes the row. A
budget filled only by checks still running makes the next check wait for them instead of
refusing it, so a burst of right passwords from one service is not answered 429. Rows written
before this revision are failures (`false`).
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_issue31"
down_revision = "0014_issue31"

FAILURES = "payment_auth_failures"


def upgrade() -> None:
    with op.batch_alter_table(FAILURES) as batch:
        batch.add_column(
            sa.Column("pending", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table(FAILURES) as batch:
        batch.drop_column("pending")
