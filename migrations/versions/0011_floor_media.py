"""floor media: a remote attendee's publisher row on the stage (their accepted hand), interpretation channels'
AudioBridge rooms

Revision ID: 0011_floor_media
Revises: 0011_ar_ui
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_floor_media'
down_revision = '0011_ar_ui'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('stage_participants', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hand_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('video_allowed', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.create_index(batch_op.f('ix_stage_participants_registration_id'), ['registration_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_stage_participants_registration_id_registrations'),
                                    'registrations', ['registration_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('floor_channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('janus_server', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('janus_room_id', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('room_secret', sa.String(length=64), server_default='', nullable=False))
        batch_op.create_unique_constraint(batch_op.f('uq_floor_channels_janus_room_id'), ['janus_room_id'])


def downgrade():
    with op.batch_alter_table('floor_channels', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_floor_channels_janus_room_id'), type_='unique')
        batch_op.drop_column('room_secret')
        batch_op.drop_column('janus_room_id')
        batch_op.drop_column('janus_server')
    with op.batch_alter_table('stage_participants', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_stage_participants_registration_id_registrations'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_stage_participants_registration_id'))
        batch_op.drop_column('video_allowed')
        batch_op.drop_column('hand_id')
        batch_op.drop_column('registration_id')
