"""outbox purge: when a row's payload was dropped, and the purge's partial indexes

Revision ID: 0031_outbox_purge
Revises: 0026_dashboard
Create Date: 2026-11-30 12:40:00
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0031_outbox_purge'
down_revision = '0026_dashboard'
branch_labels = None
depends_on = None

# Spelled out here (not imported from the model): a migration must not change when the model does.
_FINAL = "status IN ('sent', 'failed', 'skipped', 'unreachable') AND purged_at IS NULL"
_BULK = "kind IN ('daily', 'daily_group')"


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    where = sa.text(f"{_FINAL} AND NOT ({_BULK})")
    bulk = sa.text(f"{_FINAL} AND {_BULK}")
    op.create_index('ix_outbox_purge', 'outbox', ['due_at'], postgresql_where=where, sqlite_where=where)
    op.create_index('ix_outbox_purge_bulk', 'outbox', ['due_at'], postgresql_where=bulk, sqlite_where=bulk)


def downgrade() -> None:
    op.drop_index('ix_outbox_purge_bulk', table_name='outbox')
    op.drop_index('ix_outbox_purge', table_name='outbox')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('purged_at')
