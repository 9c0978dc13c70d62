"""One history: the six first-release branches (one per feature) join here; every later revision is linear.

Revision ID: 0007_one_history
Revises: 0002_daily, 0003_pledges, 0004_deeds, 0005_secretary, 0006_zalo
"""

from __future__ import annotations

revision = '0007_one_history'
down_revision = ('0002_daily', '0003_pledges', '0004_deeds', '0005_secretary', '0006_zalo')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # a merge point: no schema change


def downgrade() -> None:
    pass
