"""Self-healing (issue 27): the janitor's checks, stored findings and their audit trail, the
scheduled reconciliation's runs, and what the janitor reads of a payment without decrypting it
(when it was last fetched, the due date of an awaited deposit).

Existing payments get NULL in both new columns: the next fetch of each fills them in.
"""

import sqlalchemy as sa
from alembic import op

from payment_service.db.types import UTCDateTime

revision = "0008_issue27"
down_revision = "0007_issue24"

ID = sa.String(length=36)


def _when(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.add_column(_when("synced_at", nullable=True))
        batch_op.add_column(_when("due_at", nullable=True))
        batch_op.create_index(batch_op.f("payment_histories_due_at_idx"), ["due_at"], unique=False)

    op.create_table(
        "payment_janitor_checks",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        sa.Column("vendor_uid", sa.String(length=255), nullable=False),
        _when("in_doubt_since"),
        sa.Column("checks", sa.Integer(), nullable=False),
        _when("next_check_at"),
        _when("last_checked_at", nullable=True),
        sa.Column("last_outcome", sa.Text(), nullable=True),
        _when("gave_up_at", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_janitor_checks_pkey")),
        sa.UniqueConstraint(
            "kind", "record_id", name=op.f("payment_janitor_checks_kind_record_id_key")
        ),
    )
    op.create_index(
        op.f("payment_janitor_checks_next_check_at_idx"),
        "payment_janitor_checks",
        ["next_check_at"],
        unique=False,
    )

    op.create_table(
        "payment_findings",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("open_key", sa.String(length=400), nullable=True),
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        sa.Column("vendor_store_id", sa.String(length=255), nullable=True),
        sa.Column("vendor_uid", sa.String(length=255), nullable=False),
        sa.Column("record_id", ID, nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("found_by", sa.String(length=64), nullable=False),
        _when("first_seen_at"),
        _when("last_seen_at"),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        _when("closed_at", nullable=True),
        sa.Column("closed_by", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_findings_pkey")),
        sa.UniqueConstraint("open_key", name=op.f("payment_findings_open_key_key")),
    )
    op.create_index(op.f("payment_findings_kind_idx"), "payment_findings", ["kind"], unique=False)
    op.create_index(op.f("payment_findings_state_idx"), "payment_findings", ["state"], unique=False)

    op.create_table(
        "payment_finding_events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", ID, nullable=False),
        _when("at"),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["finding_id"],
            ["payment_findings.id"],
            name=op.f("payment_finding_events_finding_id_fkey"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("payment_finding_events_pkey")),
    )
    op.create_index(
        op.f("payment_finding_events_finding_id_idx"),
        "payment_finding_events",
        ["finding_id"],
        unique=False,
    )

    op.create_table(
        "payment_reconcile_runs",
        sa.Column("vendor_code", sa.String(length=64), nullable=False),
        _when("last_until", nullable=True),
        _when("last_success_at", nullable=True),
        sa.Column("last_outcome", sa.String(length=16), nullable=True),
        _when("running_until", nullable=True),
        sa.Column("running_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("vendor_code", name=op.f("payment_reconcile_runs_pkey")),
    )


def downgrade() -> None:
    op.drop_table("payment_reconcile_runs")
    op.drop_index(op.f("payment_finding_events_finding_id_idx"), table_name="payment_finding_events")
    op.drop_table("payment_finding_events")
    op.drop_index(op.f("payment_findings_state_idx"), table_name="payment_findings")
    op.drop_index(op.f("payment_findings_kind_idx"), table_name="payment_findings")
    op.drop_table("payment_findings")
    op.drop_index(
        op.f("payment_janitor_checks_next_check_at_idx"), table_name="payment_janitor_checks"
    )
    op.drop_table("payment_janitor_checks")
    with op.batch_alter_table("payment_histories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("payment_histories_due_at_idx"))
        batch_op.drop_column("due_at")
        batch_op.drop_column("synced_at")
