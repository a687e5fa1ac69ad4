"""Idempotency keys of the write routes."""

from alembic import op
import sqlalchemy as sa
import payment_service.db.types


revision = '0003_issue14'
down_revision = '0002_issue12'


def upgrade() -> None:
    op.create_table('payment_idempotency_keys',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('route', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('owner', sa.String(length=36), nullable=False),
    sa.Column('locked_until', payment_service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unknown', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.Column('response', sa.Text(), nullable=True),
    sa.Column('context', sa.Text(), nullable=True),
    sa.Column('created_at', payment_service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', payment_service.db.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('payment_idempotency_keys_pkey')),
    sa.UniqueConstraint('route', 'key', name=op.f('payment_idempotency_keys_route_key_key'))
    )
    with op.batch_alter_table('payment_idempotency_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('payment_idempotency_keys_expires_at_idx'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('payment_idempotency_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('payment_idempotency_keys_expires_at_idx'))
    op.drop_table('payment_idempotency_keys')
