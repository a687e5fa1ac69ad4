"""Failed password checks, counted per client to throttle guessers."""

from alembic import op
import sqlalchemy as sa
import payment_service.db.types


revision = '0005_issue15'
down_revision = '0004_issue17'


def upgrade() -> None:
    op.create_table('payment_auth_failures',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('client', sa.String(length=64), nullable=False),
    sa.Column('failed_at', payment_service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('payment_auth_failures_pkey'))
    )
    with op.batch_alter_table('payment_auth_failures', schema=None) as batch_op:
        batch_op.create_index('payment_auth_failures_client_failed_at_idx', ['client', 'failed_at'], unique=False)
        batch_op.create_index(batch_op.f('payment_auth_failures_failed_at_idx'), ['failed_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_auth_failures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('payment_auth_failures_failed_at_idx'))
        batch_op.drop_index('payment_auth_failures_client_failed_at_idx')

    op.drop_table('payment_auth_failures')
