"""ar_ui: an event's default interface language (and the region its dates follow)

Revision ID: 0011_ar_ui
Revises: 0011_perf_door
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_ar_ui'
down_revision = '0011_perf_door'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('default_locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('default_locale')
