"""imported items keep via and source_outlet

Revision ID: 0011_import_outlet
Revises: 0010_link_failure_account
Create Date: 2026-11-30 04:45:00.000000
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0011_import_outlet'
down_revision = '0010_link_failure_account'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('via', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
        batch_op.add_column(sa.Column('source_outlet', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('content_item', schema=None) as batch_op:
        batch_op.drop_column('source_outlet')
        batch_op.drop_column('via')
