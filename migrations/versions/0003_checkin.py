"""check-in: points, scans, check-ins

Revision ID: 0003_checkin
Revises: 0002_schedule

Independent of the schedule tables: a check-in point names its agenda session by a plain integer column.
"""
from alembic import op
import sqlalchemy as sa

revision = "0003_checkin"
down_revision = "0002_schedule"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('checkin_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.Enum('entrance', 'session', name='pointkind', native_enum=False, length=20), nullable=False),
    sa.Column('agenda_session_id', sa.Integer(), nullable=True),
    sa.Column('requires_entry', sa.Boolean(), nullable=False),
    sa.Column('archived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkin_points_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_points'))
    )
    with op.batch_alter_table('checkin_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_points_event_id'), ['event_id'], unique=False)

    op.create_table('checkin_settings',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('remote_upgrade', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkin_settings_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_checkin_settings'))
    )
    op.create_table('checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('admitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('upgraded', sa.Boolean(), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('undone_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_checkins_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkins_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_checkins_point_id_checkin_points'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_checkins_registration_id_registrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_checkins_ticket_id_tickets'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['undone_by_id'], ['users.id'], name=op.f('fk_checkins_undone_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkins'))
    )
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.create_index('ix_checkins_event_point', ['event_id', 'point_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkins_registration_id'), ['registration_id'], unique=False)
        batch_op.create_index('uq_checkins_registration_point_live', ['registration_id', 'point_id'], unique=True, sqlite_where=sa.text('undone_at IS NULL'), postgresql_where=sa.text('undone_at IS NULL'))

    op.create_table('checkin_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('point_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('device_id', sa.String(length=64), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('code_prefix', sa.String(length=16), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('scanned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=False),
    sa.Column('offline', sa.Boolean(), nullable=False),
    sa.Column('double_entry', sa.Boolean(), nullable=False),
    sa.Column('registration_id', sa.Integer(), nullable=True),
    sa.Column('checkin_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['users.id'], name=op.f('fk_checkin_scans_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['checkin_id'], ['checkins.id'], name=op.f('fk_checkin_scans_checkin_id_checkins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_checkin_scans_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['point_id'], ['checkin_points.id'], name=op.f('fk_checkin_scans_point_id_checkin_points'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['registration_id'], ['registrations.id'], name=op.f('fk_checkin_scans_registration_id_registrations'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin_scans')),
    sa.UniqueConstraint('event_id', 'nonce', name='uq_checkin_scans_event_nonce')
    )
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.create_index('ix_checkin_scans_event_scanned', ['event_id', 'scanned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_checkin_scans_registration_id'), ['registration_id'], unique=False)


def downgrade():
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_scans_registration_id'))
        batch_op.drop_index('ix_checkin_scans_event_scanned')

    op.drop_table('checkin_scans')
    with op.batch_alter_table('checkins', schema=None) as batch_op:
        batch_op.drop_index('uq_checkins_registration_point_live', sqlite_where=sa.text('undone_at IS NULL'), postgresql_where=sa.text('undone_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_checkins_registration_id'))
        batch_op.drop_index('ix_checkins_event_point')

    op.drop_table('checkins')
    op.drop_table('checkin_settings')
    with op.batch_alter_table('checkin_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_points_event_id'))

    op.drop_table('checkin_points')
