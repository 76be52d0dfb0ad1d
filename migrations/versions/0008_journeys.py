"""journeys: folded search text on registrations (trigram index on PostgreSQL) and ticket backup codes

Revision ID: 0008_journeys
Revises: 0004_qa
"""
import secrets
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0008_journeys'
down_revision = '0005_stage'
branch_labels = None
depends_on = None

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _fold(text):
    decomposed = unicodedata.normalize("NFKD", str(text or "").casefold())
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).split())


def upgrade():
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.String(length=700), server_default='', nullable=False))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('backup_code', sa.String(length=8), nullable=True))

    # Existing rows: fold their text and give every ticket a backup code.
    rows = bind.execute(sa.text("SELECT id, name, email_normalized, organization FROM registrations")).all()
    for rid, name, email, org in rows:
        bind.execute(sa.text("UPDATE registrations SET search_text = :t WHERE id = :i"),
                     {"t": _fold(f"{name} {email} {org}")[:700], "i": rid})
    used = set()
    for (tid,) in bind.execute(sa.text("SELECT id FROM tickets")).all():
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        while code in used:
            code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        used.add(code)
        bind.execute(sa.text("UPDATE tickets SET backup_code = :c WHERE id = :i"), {"c": code, "i": tid})

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_backup_code'), ['backup_code'])
    if postgres:
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index('ix_registrations_search_text', 'registrations', ['search_text'], unique=False,
                        postgresql_using='gin', postgresql_ops={'search_text': 'gin_trgm_ops'})
    else:
        op.create_index('ix_registrations_search_text', 'registrations', ['search_text'], unique=False)


def downgrade():
    op.drop_index('ix_registrations_search_text', table_name='registrations')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_tickets_backup_code'), type_='unique')
        batch_op.drop_column('backup_code')
    with op.batch_alter_table('registrations', schema=None) as batch_op:
        batch_op.drop_column('search_text')
