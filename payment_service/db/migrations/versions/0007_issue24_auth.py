"""Issue 24: idempotency keys remember which record's password opens them; throttle reservations.

`payment_idempotency_keys` gains `auth_record`/`auth_hash` (the record whose password a later
request with the key must give, and its bcrypt hash). The fingerprints kept so far were plain
SHA-256 digests of bodies that held the password: they are blanked, so keys made before the
upgrade are never replayed (a retry with one gets 422 and uses a new key).
`payment_auth_failures` gains `attempt`: a check reserves its row before bcrypt runs and
deletes it when the password was right.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_issue24"
down_revision = "0006_issue16"

KEYS = "payment_idempotency_keys"
FAILURES = "payment_auth_failures"


def upgrade() -> None:
    with op.batch_alter_table(KEYS) as batch:
        batch.add_column(sa.Column("auth_record", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("auth_hash", sa.String(length=255), nullable=True))
    op.execute(f"UPDATE {KEYS} SET fingerprint = ''")
    with op.batch_alter_table(FAILURES) as batch:
        batch.add_column(sa.Column("attempt", sa.String(length=36), nullable=True))
    op.create_index(op.f(f"{FAILURES}_attempt_idx"), FAILURES, ["attempt"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f(f"{FAILURES}_attempt_idx"), table_name=FAILURES)
    with op.batch_alter_table(FAILURES) as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table(KEYS) as batch:
        batch.drop_column("auth_hash")
        batch.drop_column("auth_record")
