"""Journey fixtures: the Q&A world (tests/qa_fixtures.py) plus helpers to read the outbox."""

from __future__ import annotations

import pytest

from tests.qa_fixtures import qa  # noqa: F401  (fixture)


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
