"""zalo_quota.exhausted_at: Zalo itself said the bot's month is used up (429 "Quota exceeded")

Revision ID: 0012_budget_zalo_exhausted
Revises: 0011_import_outlet
Create Date: 2026-11-30 06:50:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0012_budget_zalo_exhausted'
down_revision = '0011_import_outlet'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('zalo_quota', schema=None) as batch_op:
        batch_op.add_column(sa.Column('exhausted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('zalo_quota', schema=None) as batch_op:
        batch_op.drop_column('exhausted_at')
