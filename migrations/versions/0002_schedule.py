"""schedule: rooms, agenda sessions, panelists, join links

Revision ID: 0002_schedule
Revises: 38c567b0533e
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_schedule"
down_revision = "38c567b0533e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('panelists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('organization', sa.String(length=200), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('bio', sa.Text(), nullable=False),
    sa.Column('photo', sa.LargeBinary(), nullable=True),
    sa.Column('photo_type', sa.String(length=20), nullable=False),
    sa.Column('mode', sa.Enum('on_stage', 'remote', name='participationmode', native_enum=False, length=20), nullable=False),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('link_version', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_panelists_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_panelists_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panelists'))
    )
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panelists_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_panelists_user_id'), ['user_id'], unique=False)

    op.create_table('rooms',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=True),
    sa.Column('has_stream', sa.Boolean(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_rooms_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rooms')),
    sa.UniqueConstraint('event_id', 'name', name='uq_rooms_event_name')
    )
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rooms_event_id'), ['event_id'], unique=False)

    op.create_table('schedule_states',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_schedule_states_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_schedule_states'))
    )
    op.create_table('agenda_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('kind', sa.Enum('opening', 'panel', 'pitch', 'break', 'networking', name='sessionkind', native_enum=False, length=20), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('languages', sa.String(length=50), nullable=False),
    sa.Column('meeting_url', sa.String(length=500), nullable=False),
    sa.Column('livestream_url', sa.String(length=500), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_agenda_sessions_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['room_id'], ['rooms.id'], name=op.f('fk_agenda_sessions_room_id_rooms'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_sessions'))
    )
    with op.batch_alter_table('agenda_sessions', schema=None) as batch_op:
        batch_op.create_index('ix_agenda_sessions_event_starts', ['event_id', 'starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_sessions_room_id'), ['room_id'], unique=False)

    op.create_table('session_moderators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_sessions.id'], name=op.f('fk_session_moderators_session_id_agenda_sessions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_session_moderators_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_moderators')),
    sa.UniqueConstraint('session_id', 'user_id', name='uq_session_moderators_session_user')
    )
    with op.batch_alter_table('session_moderators', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_moderators_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_moderators_user_id'), ['user_id'], unique=False)

    op.create_table('session_panelists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('panelist_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('on_stage', 'remote', name='participationmode', native_enum=False, length=20), nullable=True),
    sa.ForeignKeyConstraint(['panelist_id'], ['panelists.id'], name=op.f('fk_session_panelists_panelist_id_panelists'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_sessions.id'], name=op.f('fk_session_panelists_session_id_agenda_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_panelists')),
    sa.UniqueConstraint('session_id', 'panelist_id', name='uq_session_panelists_session_panelist')
    )
    with op.batch_alter_table('session_panelists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_panelists_panelist_id'), ['panelist_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_panelists_session_id'), ['session_id'], unique=False)

    op.create_table('starred_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_starred_sessions_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['session_id'], ['agenda_sessions.id'], name=op.f('fk_starred_sessions_session_id_agenda_sessions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_starred_sessions')),
    sa.UniqueConstraint('registration_id', 'session_id', name='uq_starred_sessions_registration_session')
    )
    with op.batch_alter_table('starred_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_starred_sessions_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_starred_sessions_session_id'), ['session_id'], unique=False)


def downgrade():
    with op.batch_alter_table('starred_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_starred_sessions_session_id'))
        batch_op.drop_index(batch_op.f('ix_starred_sessions_registration_id'))

    op.drop_table('starred_sessions')
    with op.batch_alter_table('session_panelists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_panelists_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_panelists_panelist_id'))

    op.drop_table('session_panelists')
    with op.batch_alter_table('session_moderators', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_moderators_user_id'))
        batch_op.drop_index(batch_op.f('ix_session_moderators_session_id'))

    op.drop_table('session_moderators')
    with op.batch_alter_table('agenda_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_sessions_room_id'))
        batch_op.drop_index('ix_agenda_sessions_event_starts')

    op.drop_table('agenda_sessions')
    op.drop_table('schedule_states')
    with op.batch_alter_table('rooms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rooms_event_id'))

    op.drop_table('rooms')
    with op.batch_alter_table('panelists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panelists_user_id'))
        batch_op.drop_index(batch_op.f('ix_panelists_event_id'))

    op.drop_table('panelists')
