"""The attendee's journey over HTTP: ticket → agenda and live pages, the remembered ticket, remote and waitlisted
tickets and their emails, confirmed self-cancel, own votes refused, merged questions kept for their author."""

from __future__ import annotations

import re

import pytest

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.qa import ballots
from eventhub.qa import participants as pt
from eventhub.qa import services as qa_services
from eventhub.registration import remember
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus


def _register(event, name: str, email: str, mode=AttendanceMode.IN_PERSON):
    result = reg.register(event, reg.RegistrationData(name=name, email=email, country="ML", mode=mode, consent=True))
    commit()
    return result.registration


def _mail(to: str, kind: str):
    from eventhub.mail.models import MailMessage

    return db.session.scalars(db.select(MailMessage).where(MailMessage.recipient == to, MailMessage.kind == kind)
                              .order_by(MailMessage.id.desc())).first()


def _attr(html: str, name: str) -> str:
    match = re.search(rf'{name}="([^"]*)"', html)
    assert match, name
    return match.group(1)


def test_ticket_page_and_email_lead_to_agenda_and_each_live_page(client, qa):
    html = client.get(f"/t/{qa.ticket}").get_data(as_text=True)
    assert f'href="/t/{qa.ticket}/agenda"' in html
    for session in (qa.session, qa.other_session):
        assert f'href="/t/{qa.ticket}/qa/{session.id}"' in html
    backup = db.session.scalar(db.select(Registration).where(Registration.email == "aminata@example.org")).ticket
    assert re.search(r'id="backup-code"[^>]*>([A-Z0-9]{4}-[A-Z0-9]{4})<', html).group(1) == \
        f"{backup.backup_code[:4]}-{backup.backup_code[4:]}"
    mail = _mail("aminata@example.org", "confirmation")
    for session in (qa.session, qa.other_session):
        assert f"/t/{qa.ticket}/qa/{session.id}" in mail.body_text
        assert f"/t/{qa.ticket}/qa/{session.id}" in mail.body_html
    assert f"/t/{qa.ticket}/agenda" in mail.body_text
    assert f"{backup.backup_code[:4]}-{backup.backup_code[4:]}" in mail.body_text
    assert "Bamako" in mail.body_text and "UTC+0" in mail.body_text
    assert [a.filename for a in mail.attachments] == ["ticket.png"]


def test_remote_ticket_and_email_say_follow_online_without_venue(client, qa):
    registration = _register(qa.event, "Yacine Remote", "yacine@example.dz", AttendanceMode.REMOTE)
    html = client.get(f"/t/{registration.ticket.code}").get_data(as_text=True)
    assert 'id="follow-online"' in html
    assert "entrance" not in html and "entrée" not in html
    assert "CICB" not in html and "Salle principale" not in html
    assert "<svg" not in html and 'id="backup-code"' not in html
    mail = _mail("yacine@example.dz", "confirmation")
    assert "entrance" not in mail.body_text and "CICB" not in mail.body_text
    assert f"/t/{registration.ticket.code}/qa/{qa.session.id}" in mail.body_text
    assert mail.attachments == []


def test_waitlisted_ticket_has_no_admission_qr_and_promotion_sends_the_real_ticket(client, make_event, qa):
    event = make_event(capacity=1)
    first = _register(event, "Seat Holder", "seat@example.org")
    waiting = _register(event, "Fatoumata Waiting", "fatou@example.org")
    assert waiting.status == RegistrationStatus.WAITLISTED
    html = client.get(f"/t/{waiting.ticket.code}").get_data(as_text=True)
    assert 'id="waitlist"' in html and "position 1" in html
    assert "<svg" not in html and 'id="backup-code"' not in html
    assert _mail("fatou@example.org", "waitlisted").attachments == []
    # The seat holder cancels (after confirming): the waitlisted person gets the real ticket by email.
    confirm = client.get(f"/t/{first.ticket.code}/cancel").get_data(as_text=True)
    assert "1 personne attend" in confirm and 'name="confirm" value="yes"' in confirm
    response = client.post(f"/t/{first.ticket.code}/cancel", data={"confirm": "yes"})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre place est allée à la personne suivante" in follow
    promoted = _mail("fatou@example.org", "promoted")
    assert [a.filename for a in promoted.attachments] == ["ticket.png"]
    html = client.get(f"/t/{waiting.ticket.code}").get_data(as_text=True)
    assert "<svg" in html and 'id="backup-code"' in html


def test_cancel_without_anyone_waiting_says_the_seat_is_freed(client, qa):
    confirm = client.get(f"/t/{qa.ticket}/cancel").get_data(as_text=True)
    assert 'id="seat-truth">Votre place est libérée pour quelqu' in confirm
    assert client.post(f"/t/{qa.ticket}/cancel").headers["Location"] == f"/t/{qa.ticket}/cancel"
    assert db.session.scalar(db.select(Registration.status).where(
        Registration.email == "aminata@example.org")) == RegistrationStatus.CONFIRMED


def test_projected_join_link_recognises_the_remembered_ticket(client, qa):
    settings = qa_services.get_settings(qa.session)
    qa_services.update_settings(settings, moderation="open", is_open=True, anonymous_allowed=False)
    commit()
    short = settings.short_code
    # Before: the join link opens the Q&A with no identity (anonymous questions are off).
    page = client.get(client.get(f"/q/{short}").headers["Location"]).get_data(as_text=True)
    assert _attr(page, "data-ticket") == "" and _attr(page, "data-remembered") == "none"
    # The attendee opens their ticket on this phone: the browser keeps a signed, HttpOnly cookie.
    response = client.get(f"/t/{qa.ticket}")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{remember.cookie_name(qa.event.id)}=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # Scanning the projected QR code now lands in the Q&A as themselves.
    page = client.get(client.get(f"/q/{short}").headers["Location"]).get_data(as_text=True)
    assert _attr(page, "data-ticket") == qa.ticket and _attr(page, "data-remembered") == "ok"
    assert "Aminata Traoré" in page


def test_forged_remembered_ticket_is_ignored_and_cleared(client, qa):
    name = remember.cookie_name(qa.event.id)
    client.get(f"/t/{qa.ticket}")
    good = client.get_cookie(name).value
    for forged in (good[:-2] + ("AA" if not good.endswith("AA") else "BB"), "garbage", "x" * 400):
        client.set_cookie(name, forged)
        response = client.get(f"/qa/{qa.session.id}")
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert _attr(html, "data-ticket") == "" and _attr(html, "data-remembered") == "forged"
        assert f"{name}=;" in response.headers["Set-Cookie"]  # cleared
    # A cookie signed with our key but pointing at another event's ticket is not a ticket for this event.
    other = reg.find_ticket(qa.other_ticket)
    with client.application.test_request_context():
        value = remember._serializer().dumps({"t": other.id, "h": remember._code_hash(other.code)})
    client.set_cookie(name, value)
    html = client.get(f"/qa/{qa.session.id}").get_data(as_text=True)
    assert _attr(html, "data-ticket") == "" and _attr(html, "data-remembered") == "revoked"


@pytest.mark.parametrize("how", ["revoke", "reissue", "cancel"])
def test_revoked_ticket_still_remembered_no_longer_works(client, qa, how):
    client.get(f"/t/{qa.ticket}")
    registration = reg.find_ticket(qa.ticket).registration
    {"revoke": reg.revoke_ticket, "reissue": reg.reissue_ticket, "cancel": reg.cancel_registration}[how](registration)
    commit()
    response = client.get(f"/qa/{qa.session.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _attr(html, "data-ticket") == "" and _attr(html, "data-remembered") == "revoked"
    assert f"{remember.cookie_name(qa.event.id)}=;" in response.headers["Set-Cookie"]
    assert client.get(f"/t/{qa.ticket}").status_code == 410


def test_attendee_cannot_upvote_their_own_question(qa):
    settings = qa_services.get_settings(qa.session)
    qa_services.update_settings(settings, moderation="open", is_open=True, anonymous_allowed=False)
    me, other = pt.from_ticket(qa.ticket), pt.from_ticket(qa.ticket2)
    question = qa_services.ask(qa.session, me, "Quel financement pour les start-up ?")
    commit()
    with pytest.raises(DomainError) as exc:
        ballots.toggle_vote(question, me, True)
    assert exc.value.code == "own_question" and exc.value.status == 409
    db.session.rollback()
    question = qa_services.get_question(question.id)
    assert ballots.toggle_vote(question, other, True)[0].votes == 1


def test_merged_question_stays_visible_to_its_author(qa):
    settings = qa_services.get_settings(qa.session)
    qa_services.update_settings(settings, moderation="open", is_open=True, anonymous_allowed=False)
    me, other = pt.from_ticket(qa.ticket), pt.from_ticket(qa.ticket2)
    keep = qa_services.ask(qa.session, other, "Comment financer les start-up maliennes ?")
    dup = qa_services.ask(qa.session, me, "Quel financement pour nos start-up ?")
    commit()
    qa_services.moderate(dup, "merge", by=qa.moderator, into_id=keep.id)
    commit()
    mine = qa_services.snapshot(qa.session, moderator=False, participant=me)["questions"]
    merged = next(q for q in mine if q["id"] == dup.id)
    assert merged["merged_into"] == keep.id and merged["merged_into_text"] == keep.text
    public = qa_services.snapshot(qa.session, moderator=False, participant=other)["questions"]
    assert dup.id not in [q["id"] for q in public]


def test_agenda_and_session_pages_label_times_with_the_place_and_languages_by_name(client, qa):
    from eventhub.schedule import services as sched

    data = sched.session_data_of(qa.session)
    data.languages = ("fr", "ar")
    sched.update_session(qa.session, data)
    commit()
    client.post("/lang", data={"lang": "fr", "next": "/"})
    agenda = client.get(f"/e/{qa.event.slug}/agenda").get_data(as_text=True)
    assert "heure de Bamako (UTC+0)" in agenda
    page = client.get(f"/e/{qa.event.slug}/agenda/{qa.session.id}").get_data(as_text=True)
    assert "heure de Bamako (UTC+0)" in page
    assert "français, arabe" in page
