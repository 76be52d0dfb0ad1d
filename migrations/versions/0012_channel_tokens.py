"""stage tokens of an interpretation channel's interpreter: the channel they were issued for, so revoking the
interpreter's link removes them from Janus at once

Revision ID: 0012_channel_tokens
Revises: 0011_floor_media
"""
import sqlalchemy as sa
from alembic import op

revision = '0012_channel_tokens'
down_revision = '0011_floor_media'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_stage_tokens_channel_id'), ['channel_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stage_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stage_tokens_channel_id'))
        batch_op.drop_column('channel_id')
