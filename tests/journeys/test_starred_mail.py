"""A moved (or cancelled) session's starred attendees are told by email; others are not."""

from __future__ import annotations

from datetime import timedelta

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.schedule import services as sched


def _starred_mails() -> list[MailMessage]:
    return list(db.session.scalars(db.select(MailMessage).where(MailMessage.kind == "starred_session_change")
                                   .order_by(MailMessage.id)))


def test_moving_a_starred_session_emails_who_starred_it(client, qa):
    assert client.post(f"/t/{qa.ticket}/agenda/{qa.session.id}/star").status_code == 302
    data = sched.session_data_of(qa.session)
    data.description = "Nouveau descriptif"  # not a move: nobody is emailed
    sched.update_session(qa.session, data)
    commit()
    assert _starred_mails() == []
    data = sched.session_data_of(qa.session)
    data.starts_at += timedelta(minutes=30)
    data.ends_at += timedelta(minutes=30)
    sched.update_session(qa.session, data)
    commit()
    mails = _starred_mails()
    assert [m.recipient for m in mails] == ["aminata@example.org"]  # not Karim, who starred nothing
    assert "heure de Bamako (UTC+0)" in mails[0].body_text and f"/t/{qa.ticket}/agenda" in mails[0].body_text
    sched.cancel_session(qa.session)
    commit()
    assert len(_starred_mails()) == 2 and "annulée" in _starred_mails()[1].body_text
