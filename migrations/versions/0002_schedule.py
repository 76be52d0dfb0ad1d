"""schedule: rooms, agenda sessions, panelists, join links

Revision ID: 0002_schedule
Revises: 38c567b0533e
"""

revision = "0002_schedule"
down_revision = "38c567b0533e"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
