"""Claims (registrations in flight) move out of payment_histories into a table of their own.

Until now a claim was a history row with `confirmed_at` NULL, which every query of payments had
to filter out. Upgrading moves those rows, keeping their ids; downgrading moves them back.
"""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import Money, UTCDateTime

revision = "0006_issue16"
down_revision = "0005_issue15"

CLAIMS = "payment_history_claims"
# A claim's columns (db.models.PaymentHistoryClaim), each also a column of payment_histories.
COLUMNS = (
    ("id", sa.String(length=36)),
    ("source_schema", sa.String(length=255)),
    ("source_table", sa.String(length=255)),
    ("source_id", sa.String(length=255)),
    ("vendor_code", sa.String(length=64)),
    ("vendor_uid", sa.String(length=255)),
    ("vendor_store_id", sa.String(length=255)),
    ("password", sa.String(length=255)),
    ("created_at", UTCDateTime(timezone=True)),
    ("price", Money(precision=20, scale=4)),
    ("webhook_url", sa.String(length=1024)),
    ("data", sa.Text()),
)
SHARED = ", ".join(name for name, _ in COLUMNS)


def upgrade() -> None:
    op.create_table(
        CLAIMS,
        *(sa.Column(name, kind, nullable=False) for name, kind in COLUMNS),
        sa.PrimaryKeyConstraint("id", name=op.f(f"{CLAIMS}_pkey")),
        sa.UniqueConstraint(
            "source_schema",
            "source_table",
            "source_id",
            name=op.f(f"{CLAIMS}_source_schema_source_table_source_id_key"),
        ),
        sa.UniqueConstraint(
            "vendor_code", "vendor_uid", name=op.f(f"{CLAIMS}_vendor_code_vendor_uid_key")
        ),
    )
    op.create_index(op.f(f"{CLAIMS}_created_at_idx"), CLAIMS, ["created_at"], unique=False)
    op.execute(
        f"INSERT INTO {CLAIMS} ({SHARED}) "
        f"SELECT {SHARED} FROM payment_histories WHERE confirmed_at IS NULL"
    )
    op.execute("DELETE FROM payment_histories WHERE confirmed_at IS NULL")


def downgrade() -> None:
    op.execute(
        f"INSERT INTO payment_histories ({SHARED}, currency, refund) "
        f"SELECT {SHARED}, '', 0 FROM {CLAIMS}"
    )
    op.drop_index(op.f(f"{CLAIMS}_created_at_idx"), table_name=CLAIMS)
    op.drop_table(CLAIMS)
