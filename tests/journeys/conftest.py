"""Journey fixtures: helpers to read the outbox (the Q&A world `qa` is tests/qa/fixtures.py, a conftest plugin)."""

from __future__ import annotations

import pytest


@pytest.fixture
def outbox(ctx):
    """The messages queued so far, newest last."""
    from eventhub.extensions import db
    from eventhub.mail.models import MailMessage

    def read(to: str | None = None) -> list:
        query = db.select(MailMessage).order_by(MailMessage.id)
        if to is not None:
            query = query.where(MailMessage.recipient == to)
        return list(db.session.scalars(query))

    return read
