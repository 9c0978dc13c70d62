"""attendance in three states (present, excused, absent) with a reason; a moved meeting's previous start;
the branch's absence thresholds

Revision ID: 0017_meetings_attendance
Revises: 0012_budget_zalo_exhausted
Create Date: 2026-11-30 09:27:39
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0017_meetings_attendance'
down_revision = '0012_budget_zalo_exhausted'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=10), server_default='present',
                                      nullable=False))
        batch_op.add_column(sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True))
    # Rows marked absent before the three states existed had no reason recorded: vắng không lý do.
    op.execute(sa.text("UPDATE attendance SET status = 'absent' WHERE present = :no").bindparams(no=False))

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moved_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('moves', sa.Integer(), server_default='0', nullable=False))

    with op.batch_alter_table('branch_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('absence_warn_at', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('absence_flag_at', sa.Integer(), server_default='3', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('branch_settings', schema=None) as batch_op:
        batch_op.drop_column('absence_flag_at')
        batch_op.drop_column('absence_warn_at')

    with op.batch_alter_table('meeting', schema=None) as batch_op:
        batch_op.drop_column('moves')
        batch_op.drop_column('moved_from')

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_column('reason')
        batch_op.drop_column('status')
