"""scan doubles: a partial index on the scan log's double entries, counted by the door's live counters

Revision ID: 0014_scan_doubles
Revises: 0013_session_rows
"""
import sqlalchemy as sa
from alembic import op

revision = '0014_scan_doubles'
down_revision = '0013_session_rows'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_checkin_scans_doubles', 'checkin_scans', ['event_id'], unique=False,
                    sqlite_where=sa.text('double_entry = 1'), postgresql_where=sa.text('double_entry'))


def downgrade():
    op.drop_index('ix_checkin_scans_doubles', table_name='checkin_scans')
