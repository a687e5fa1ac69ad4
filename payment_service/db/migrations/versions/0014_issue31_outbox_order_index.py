"""The outbox's due index also holds `created_at`, the claim's second sort key (issue 31).

A claim reads pending rows in `(next_attempt_at, created_at)` order. With only
`(status, next_attempt_at)` indexed, PostgreSQL sorted every due row on each claim whenever
its statistics said few were due — a backlog released at once (a receiver back after an
outage, a replay) — so each claim cost a sort of the whole backlog. With the whole order in
the index, a claim reads the first due rows and stops, whatever the statistics say.
"""

from alembic import op

revision = "0014_issue31"
down_revision = "0013_issue28"

TABLE = "payment_history_webhooks"
OLD = "payment_history_webhooks_status_next_attempt_at_idx"
NEW = "payment_history_webhooks_due_idx"


def upgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(NEW, ["status", "next_attempt_at", "created_at"], unique=False)
        batch_op.drop_index(OLD)


def downgrade() -> None:
    with op.batch_alter_table(TABLE, schema=None) as batch_op:
        batch_op.create_index(OLD, ["status", "next_attempt_at"], unique=False)
        batch_op.drop_index(NEW)
