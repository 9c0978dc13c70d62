"""dashboard indexes: the daily reads of many branches by time

Revision ID: 0027_dash_indexes
Revises: 0029_outbox_lanes
Create Date: 2026-11-30 12:50:00.000000
"""

from alembic import op


revision = '0027_dash_indexes'
down_revision = '0029_outbox_lanes'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The committee's views count each branch's reads in a period (by the time the member pressed "Đã đọc"):
    # covering, so the count and the distinct readers come from the index alone.
    with op.batch_alter_table('daily_read', schema=None) as batch_op:
        batch_op.create_index('ix_daily_read_branch_at', ['branch_id', 'at', 'person_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('daily_read', schema=None) as batch_op:
        batch_op.drop_index('ix_daily_read_branch_at')
