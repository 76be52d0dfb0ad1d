"""perf_door: waitlist counters on the event row and each waitlisted registration's place in line

The registration burst reads a newcomer's waitlist position off the event row it locks for the seat claim
(one statement), instead of counting rows in a snapshot that misses concurrent registrations.

Revision ID: 0011_perf_door
Revises: 0008_journeys
"""
import sqlalchemy as sa
from alembic import op

revision = '0011_perf_door'
down_revision = '0008_journeys'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlisted_in_person', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waitlisted_remote', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('waitlist_last', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('waitlist_seq', sa.Integer(), nullable=True))
    # Existing waiting lists keep their order (by id); new places follow the largest id of the event.
    op.execute("UPDATE registrations SET waitlist_seq = id WHERE status = 'waitlisted'")
    op.execute("""UPDATE events SET
        waitlisted_in_person = (SELECT count(*) FROM registrations r WHERE r.event_id = events.id
                                AND r.status = 'waitlisted' AND r.mode = 'in_person'),
        waitlisted_remote = (SELECT count(*) FROM registrations r WHERE r.event_id = events.id
                             AND r.status = 'waitlisted' AND r.mode = 'remote'),
        waitlist_last = (SELECT coalesce(max(r.id), 0) FROM registrations r WHERE r.event_id = events.id)""")


def downgrade():
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('waitlist_seq')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_column('waitlist_last')
        batch_op.drop_column('waitlisted_remote')
        batch_op.drop_column('waitlisted_in_person')
