"""A ticket leads to the stage: the ticket page, the confirmation email (HTML and text) and the live Q&A page link
each session that has a stage (openings, panels and pitches have one from their creation; a break has none) to
`/t/<code>/stage/<sid>` for the tickets the stage admits (confirmed, unrevoked; remote or in the room), and only
those; every link offered opens (200), and the stage page never makes a stage."""

from __future__ import annotations

import re
from datetime import timedelta

from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus
from eventhub.schedule import services as sched
from eventhub.schedule.models import AgendaSession
from eventhub.stage.models import Stage

EN = {"Accept-Language": "en"}


def _register(event, name: str, email: str, mode: AttendanceMode) -> Registration:
    result = reg.register(event, reg.RegistrationData(name=name, email=email, country="ML", mode=mode, consent=True))
    commit()
    return result.registration


def _mail(to: str, kind: str = "confirmation") -> MailMessage:
    return db.session.scalars(db.select(MailMessage).where(MailMessage.recipient == to, MailMessage.kind == kind)
                              .order_by(MailMessage.id.desc())).first()


def _pause(event) -> AgendaSession:
    """A published coffee break after the panels: a session without a stage."""
    start = event.starts_at + timedelta(hours=4)
    pause = sched.create_session(event, sched.SessionData(title="Pause café", starts_at=start,
                                                          ends_at=start + timedelta(minutes=30), kind="break"))
    sched.publish_schedule(event)
    commit()
    return pause


def _no_stage(session: AgendaSession) -> bool:
    return db.session.scalar(db.select(Stage.id).where(Stage.session_id == session.id)) is None


def _stage_hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*/stage/\d+)"', html)


def test_remote_ticket_page_and_mail_link_the_stage_of_sessions_that_have_one(client, qa):
    pause = _pause(qa.event)
    code = _register(qa.event, "Yacine Remote", "yacine@example.dz", AttendanceMode.REMOTE).ticket.code
    stage_path = f"/t/{code}/stage/{qa.session.id}"
    other_path = f"/t/{code}/stage/{qa.other_session.id}"

    page = client.get(f"/t/{code}", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert _stage_hrefs(html) == [stage_path, other_path]  # the break has no stage: no link
    link = re.search(rf'<a class="stage-link button primary" href="{re.escape(stage_path)}"[^>]*>([^<]+)</a>', html)
    assert link and link.group(1) == "Watch the stage"
    assert f'href="/t/{code}/qa/{qa.session.id}"' in html and f'href="/t/{code}/qa/{qa.other_session.id}"' in html
    assert f'href="/t/{code}/qa/{pause.id}"' in html
    assert 'id="stage-in-room"' not in html

    mail = _mail("yacine@example.dz")
    base = re.search(r"(http\S+)/t/", mail.body_text).group(1)
    assert re.findall(r"http\S+/t/\S+/stage/\d+", mail.body_text) == [f"{base}{stage_path}", f"{base}{other_path}"]
    assert f"  Suivre la scène en direct\u00a0: {base}{stage_path}\n" in mail.body_text
    assert _stage_hrefs(mail.body_html) == [f"{base}{stage_path}", f"{base}{other_path}"]
    assert ">Suivre la scène en direct</a>" in mail.body_html

    assert client.get(stage_path).status_code == 200
    assert client.get(f"/t/{code}/stage/{pause.id}").status_code == 404  # no stage, none made
    assert _no_stage(pause)


def test_in_room_ticket_gets_the_stage_for_interpretation_on_a_phone(client, qa):
    code = _register(qa.event, "Awa Salle", "awa@example.org", AttendanceMode.IN_PERSON).ticket.code
    stage_path = f"/t/{code}/stage/{qa.session.id}"
    other_path = f"/t/{code}/stage/{qa.other_session.id}"
    html = client.get(f"/t/{code}", headers=EN).get_data(as_text=True)
    link = re.search(rf'<a class="stage-link" href="{re.escape(stage_path)}"[^>]*>([^<]+)</a>', html)
    assert link and link.group(1) == "Live video and interpretation"
    assert 'id="stage-in-room"' in html and "bring earphones" in html
    assert 'id="backup-code"' in html  # still an admission ticket
    mail = _mail("awa@example.org")
    base = re.search(r"(http\S+)/t/", mail.body_text).group(1)
    assert f"  Vidéo et interprétation en direct\u00a0: {base}{stage_path}\n" in mail.body_text
    assert _stage_hrefs(mail.body_html) == [f"{base}{stage_path}", f"{base}{other_path}"]
    assert client.get(stage_path).status_code == 200


def test_no_stage_link_for_a_waitlisted_or_cancelled_ticket_nor_without_a_stage(client, make_event, qa):
    # A programme of breaks has no stage: a confirmed ticket sees no stage link anywhere.
    breaks = make_event(title="Journée de réseautage", remote_enabled=True)
    pause = _pause(breaks)
    code = _register(breaks, "Sans Scene", "sans@example.org", AttendanceMode.REMOTE).ticket.code
    assert _stage_hrefs(client.get(f"/t/{code}").get_data(as_text=True)) == []
    assert _stage_hrefs(_mail("sans@example.org").body_html) == []
    assert "/stage/" not in _mail("sans@example.org").body_text
    assert client.get(f"/t/{code}/stage/{pause.id}").status_code == 404 and _no_stage(pause)

    event = db.session.get(type(qa.event), qa.event.id)
    event.remote_capacity = event.confirmed_remote  # full online
    commit()
    waiting = _register(event, "Liste Attente", "attente@example.org", AttendanceMode.REMOTE)
    assert waiting.status == RegistrationStatus.WAITLISTED
    code = waiting.ticket.code
    html = client.get(f"/t/{code}").get_data(as_text=True)
    assert _stage_hrefs(html) == [] and f'href="/t/{code}/qa/{qa.session.id}"' in html
    assert "/stage/" not in _mail("attente@example.org", "waitlisted").body_text
    assert client.get(f"/t/{code}/stage/{qa.session.id}").status_code == 404  # the stage's own rule agrees

    cancelled = _register(event, "Annule Vite", "annule@example.org", AttendanceMode.IN_PERSON)
    reg.cancel_registration(cancelled)
    commit()
    assert "/stage/" not in _mail("annule@example.org", "cancelled").body_text


def test_live_qa_page_of_a_ticket_links_its_stage(client, qa):
    pause = _pause(qa.event)
    remote = _register(qa.event, "Yacine Remote", "yacine@example.dz", AttendanceMode.REMOTE).ticket.code
    page = client.get(f"/t/{remote}/qa/{qa.session.id}", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(rf'<a class="button primary" id="watch-stage" href="/t/{re.escape(remote)}/stage/'
                     rf'{qa.session.id}">Watch the stage</a>', html)
    assert 'id="watch-stage"' not in client.get(f"/t/{remote}/qa/{pause.id}").get_data(as_text=True)
    # In the room (the fixture's tickets), the same page offers the phone's interpretation.
    html = client.get(f"/t/{qa.ticket}/qa/{qa.session.id}", headers=EN).get_data(as_text=True)
    assert re.search(r'id="watch-stage" href="[^"]+">Live video and interpretation</a>', html)
    # The stage page holds the same Q&A, without a link to itself.
    stage = client.get(f"/t/{remote}/stage/{qa.session.id}").get_data(as_text=True)
    assert 'id="watch-stage"' not in stage and 'id="qa"' in stage
