"""session rows: every agenda session gets its Q&A settings, and a session of a staged kind its stage (data only)

Until now the Q&A settings row (with the short code a projected QR code carries) and the stage row (with its
screen key) were created by the first page that showed them, so a GET wrote. They are now made with the session;
this fills them in for the sessions that have none, with the same values the app uses: Q&A pre-moderated, open,
no anonymous participants; stage closed. Rows that exist are kept as they are (their codes may be printed).
The Q&A: every session, drafts and cancelled ones too (their console and live page open). The stage: sessions of
the staged kinds (eventhub.schedule.models.STAGED_KINDS: opening, panel, pitch), as the app now makes them; a
break or networking session keeps a stage it already had.

Revision ID: 0013_session_rows
Revises: 0012_channel_tokens
"""
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = '0013_session_rows'
down_revision = '0012_channel_tokens'
branch_labels = None
depends_on = None

SHORT_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # as eventhub.qa.services: no 0/o, 1/l/i

STAGED_KINDS = ("opening", "panel", "pitch")  # as eventhub.schedule.models.STAGED_KINDS

sessions = sa.table('agenda_sessions', sa.column('id', sa.Integer), sa.column('event_id', sa.Integer),
                    sa.column('kind', sa.String))
qa_settings = sa.table(
    'qa_settings', sa.column('session_id', sa.Integer), sa.column('event_id', sa.Integer),
    sa.column('moderation', sa.String), sa.column('is_open', sa.Boolean), sa.column('anonymous_allowed', sa.Boolean),
    sa.column('short_code', sa.String), sa.column('seq', sa.Integer), sa.column('updated_at', sa.DateTime(timezone=True)))
stages = sa.table(
    'stages', sa.column('session_id', sa.Integer), sa.column('event_id', sa.Integer), sa.column('state', sa.String),
    sa.column('room_secret', sa.String), sa.column('screen_key', sa.String), sa.column('show_question', sa.Boolean),
    sa.column('seq', sa.Integer), sa.column('created_at', sa.DateTime(timezone=True)),
    sa.column('updated_at', sa.DateTime(timezone=True)))


def _without(table: sa.TableClause, *where: sa.ColumnElement[bool]) -> list[sa.Row]:
    has_row = sa.select(table.c.session_id).where(table.c.session_id == sessions.c.id).exists()
    return op.get_bind().execute(sa.select(sessions.c.id, sessions.c.event_id).where(~has_row, *where)
                                 .order_by(sessions.c.id)).all()


def _short_codes(count: int) -> list[str]:
    taken = set(op.get_bind().scalars(sa.select(qa_settings.c.short_code)))
    codes: list[str] = []
    while len(codes) < count:
        code = "".join(secrets.choice(SHORT_ALPHABET) for _ in range(7))
        if code not in taken:
            taken.add(code)
            codes.append(code)
    return codes


def upgrade():
    # SQLite keeps no offset: the app stores UTC there without one, as this does.
    now = datetime.now(UTC)
    if op.get_bind().dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    missing = _without(qa_settings)
    if missing:
        op.bulk_insert(qa_settings, [
            {"session_id": s.id, "event_id": s.event_id, "moderation": "pre", "is_open": True,
             "anonymous_allowed": False, "short_code": code, "seq": 0, "updated_at": now}
            for s, code in zip(missing, _short_codes(len(missing)), strict=True)])
    missing = _without(stages, sessions.c.kind.in_(STAGED_KINDS))
    if missing:
        op.bulk_insert(stages, [
            {"session_id": s.id, "event_id": s.event_id, "state": "closed", "room_secret": "",
             "screen_key": secrets.token_urlsafe(24), "show_question": False, "seq": 0, "created_at": now,
             "updated_at": now}
            for s in missing])


def downgrade():
    # Nothing to undo: the older code reads these rows as its own (it created the same ones on first use).
    pass
