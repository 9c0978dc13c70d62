"""outbox lanes: an index for the sender's per-bot claims

Revision ID: 0029_outbox_lanes
Revises: 0031_outbox_purge
Create Date: 2026-11-30 12:31:00.000000
"""

from alembic import op


revision = '0029_outbox_lanes'
down_revision = '0031_outbox_purge'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The sender claims per (channel, bot): one bot's backlog must not be scanned by another bot's claims.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_lane', ['channel', 'bot', 'status', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_lane')
