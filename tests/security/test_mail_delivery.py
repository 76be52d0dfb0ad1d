"""Issue 9 item 7: a line break in an event title no longer wedges its mail in `sending`; failures are recorded,
retried with back-off and shown to the organizer; a message left in `sending` by a crash is sent again.
Real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes
from itertools import pairwise

from eventhub.core.db import commit
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.mail import services as mail
from eventhub.mail.models import MailAttachment, MailMessage
from eventhub.mail.services import build_email, clean_header
from eventhub.registration.services import RegistrationData
from eventhub.registration.services import register as do_register
from tests.security.conftest import wait_for

API = "/api/v1"


def messages():
    db.session.expire_all()
    return db.session.scalars(db.select(MailMessage).order_by(MailMessage.id)).all()


def settled(count: int = 1):  # noqa: ANN201
    def check():  # noqa: ANN202
        found = messages()
        return found if len(found) >= count and all(m.status not in ("queued", "sending") for m in found) else None
    return check


def register(event, email: str = "moussa@example.org") -> None:
    do_register(event, RegistrationData(name="Moussa Keïta", email=email, country="ML", mode="in_person",
                                        consent=True))
    commit()


def test_a_title_with_line_breaks_is_sent_with_a_clean_subject(app, client, event, token, smtp_server):
    patched = client.patch(f"{API}/events/{event.id}", headers={"Authorization": f"Bearer {token}"},
                           json={"title": "Table ronde\r\nBcc: victim@example.org\nAlgérie–Mali"})
    assert patched.status_code == 200, patched.get_json()

    db.session.refresh(event)
    assert "\n" in event.title  # accepted by the API as it is
    register(event)
    [message] = wait_for(settled(), what="the confirmation to be sent or failed")
    assert message.status == "sent", message.error
    assert "\n" not in message.subject and "\r" not in message.subject
    [envelope] = smtp_server.received
    assert envelope.rcpt_tos == ["moussa@example.org"]  # no header injection
    parsed = message_from_bytes(envelope.content)
    assert parsed["Bcc"] is None
    assert str(parsed["Subject"]) and "Bcc: victim@example.org" in message.subject


def test_every_header_goes_through_one_cleaner(app):
    assert clean_header("  Line\r\none\n\ttwo\x00\x1b three  ") == "Line one two three"
    assert clean_header("x" * 400, limit=300) == "x" * 300
    # Rows stored before this fix (or written by hand) are cleaned when built, too.
    message = MailMessage(recipient="a@example.org", subject="Hi\nBcc: c@example.org",
                          body_text="body", kind="test",
                          attachments=[MailAttachment(filename="evil\r\n.png", content_type="image/png",
                                                      data=b"\x89PNG")])
    email = build_email(message, "EventHub\n <no-reply@eventhub.local>")
    assert email["To"] == "a@example.org"
    assert email["Subject"] == "Hi Bcc: c@example.org"
    assert email["Bcc"] is None
    assert "\n" not in str(email["From"])
    assert email.get_payload()[-1].get_filename() == "evil .png"


def test_a_failure_is_recorded_retried_with_back_off_and_shown(app, client, login, event, organizer, smtp_server,
                                                               monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 3600)  # the in-process retry timer stays out of the way
    smtp_server.refuse = True
    register(event)
    [message] = wait_for(settled(), what="the first attempt")
    assert message.status == "failed"
    assert message.attempts == 1
    assert "451" in message.error and "try again later" in message.error
    assert message.next_attempt_at is not None
    delay = message.next_attempt_at - utcnow()
    assert timedelta(minutes=59) < delay <= timedelta(hours=1)
    # Not due yet: a delivery run leaves it alone.
    assert mail.deliver_queued(app) == 0
    assert messages()[0].attempts == 1
    page = login(organizer).get(f"/manage/events/{event.id}/outbox", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "451 4.3.0 try again later" in html
    assert "Next attempt" in html
    # Due: the next run sends it.
    smtp_server.refuse = False
    row = db.session.get(type(message), message.id)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)
    commit()
    assert mail.deliver_queued(app) == 1
    [message] = messages()
    assert message.status == "sent" and message.attempts == 2 and message.next_attempt_at is None
    assert len(smtp_server.received) == 1


def test_back_off_grows_and_gives_up(app, event, smtp_server, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_RETRY_BASE_SECONDS", 3600)
    smtp_server.refuse = True
    register(event)
    wait_for(settled(), what="the first attempt")
    delays = []
    for _attempt in range(2, app.config["MAIL_MAX_ATTEMPTS"] + 1):
        row = db.session.scalars(db.select(MailMessage)).one()
        row.next_attempt_at = utcnow() - timedelta(seconds=1)
        commit()
        started = utcnow()
        assert mail.deliver_queued(app) == 0
        [row] = messages()
        if row.next_attempt_at is not None:
            delays.append(row.next_attempt_at - started)
    assert all(later > earlier for earlier, later in pairwise(delays)), delays
    [row] = messages()
    assert row.status == "failed" and row.attempts == app.config["MAIL_MAX_ATTEMPTS"]
    assert row.next_attempt_at is None  # given up: shown as such, never tried again
    assert mail.deliver_queued(app) == 0


def test_a_message_left_sending_by_a_crash_is_picked_up_again(app, event, smtp_server):
    app.config["MAIL_SERVER"] = None  # stored only, as if the process died right after claiming it
    register(event)
    row = db.session.scalars(db.select(MailMessage)).one()
    row.status, row.claimed_at, row.attempts = "sending", utcnow() - timedelta(seconds=30), 1
    commit()
    app.config["MAIL_SERVER"] = "127.0.0.1"
    assert mail.deliver_queued(app) == 0  # claimed 30 s ago: maybe still being sent by another worker
    row = db.session.scalars(db.select(MailMessage)).one()
    row.claimed_at = utcnow() - timedelta(seconds=app.config["MAIL_STALE_CLAIM_SECONDS"] + 1)
    commit()
    assert mail.deliver_queued(app) == 1
    [row] = messages()
    assert row.status == "sent" and row.attempts == 2
    assert len(smtp_server.received) == 1
