"""check-in: points, scans, check-ins

Revision ID: 0003_checkin
Revises: 0002_schedule
"""

revision = "0003_checkin"
down_revision = "0002_schedule"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
