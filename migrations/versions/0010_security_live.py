"""security_live: offline scans flagged when their device time was clamped; Q&A questions keep the (hashed)
network they came from and whether that network was minting many anonymous keys (issue 9 items 5 and 19)

Revision ID: 0010_security_live
Revises: 0004_qa
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_security_live'
down_revision = '0009_security'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('time_clamped', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('busy_source', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('qa_questions', schema=None) as batch_op:
        batch_op.drop_column('busy_source')
        batch_op.drop_column('source')
    with op.batch_alter_table('checkin_scans', schema=None) as batch_op:
        batch_op.drop_column('time_clamped')
