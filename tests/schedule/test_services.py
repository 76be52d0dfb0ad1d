"""Schedule rules called directly: conflicts of every kind, publication, changes after publishing, time zones."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.core.timefmt import format_in_zone
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.schedule import agenda, services
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession
from tests.schedule.conftest import utc


def data(world, **kw) -> services.SessionData:
    values = dict(title="Atelier", starts_at=utc(10, 30), ends_at=utc(11, 30), room_id=world.hall.id)
    values.update(kw)
    return services.SessionData(**values)


def refused(world, code: str, **kw) -> DomainError:
    with pytest.raises(DomainError) as info:
        services.create_session(world.event, data(world, **kw))
    db.session.rollback()
    assert info.value.code == code, info.value.to_dict()
    return info.value


def test_two_sessions_in_one_room_at_once_are_refused_naming_the_clash(world, make_session):
    make_session("Session 1 — État des lieux", utc(10), utc(11))
    error = refused(world, "room_conflict")
    assert "Session 1 — État des lieux" in str(error.message) and "Salle principale" in str(error.message)
    assert "10:00" in str(error.message)
    assert error.status == 409


def test_back_to_back_sessions_and_another_room_are_fine(world, make_session):
    make_session("Session 1", utc(10), utc(11))
    services.create_session(world.event, data(world, starts_at=utc(11), ends_at=utc(12)))
    services.create_session(world.event, data(world, room_id=world.side.id))
    assert len(services.sessions_of(world.event)) == 3


def test_a_panelist_in_two_sessions_at_once_is_refused(world, make_session):
    make_session("Ouverture officielle", utc(10), utc(11), panelists=[world.algiers])
    error = refused(world, "person_conflict", room_id=world.side.id, panelists=[(world.algiers.id, None)])
    assert "Yacine Boudiaf" in str(error.message) and "Ouverture officielle" in str(error.message)


def test_a_moderator_in_two_sessions_at_once_is_refused(world, make_session):
    make_session("Session 1", utc(10), utc(11), moderators=[world.moderator])
    error = refused(world, "person_conflict", room_id=world.side.id, moderator_ids=[world.moderator.id])
    assert "Modérateur" in str(error.message)


def test_a_panelist_who_also_moderates_elsewhere_at_once_is_refused(world, make_session):
    world.bamako.user_id = world.moderator.id
    commit()
    make_session("Session 1", utc(10), utc(11), moderators=[world.moderator])
    refused(world, "person_conflict", room_id=world.side.id, panelists=[(world.bamako.id, None)])


def test_session_outside_the_event_is_refused(world):
    refused(world, "outside_event", starts_at=utc(7), ends_at=utc(9))
    refused(world, "outside_event", starts_at=utc(17, 30), ends_at=utc(18, 30))
    refused(world, "outside_event", starts_at=utc(10, day=15), ends_at=utc(11, day=15))


def test_end_before_start_and_zero_length_are_refused(world):
    inverted = refused(world, "invalid_times", starts_at=utc(11), ends_at=utc(10))
    assert inverted.fields["ends_at"]
    zero = refused(world, "invalid_times", starts_at=utc(11), ends_at=utc(11))
    assert str(zero.message) != str(inverted.message)  # "no length" is told apart from "ends before it starts"


def test_naive_times_are_refused(world):
    error = refused(world, "invalid_session", starts_at=utc(10).replace(tzinfo=None))
    assert "starts_at" in error.fields


def test_cancelled_session_frees_its_room_and_people(world, make_session):
    first = make_session("Session 1", utc(10), utc(11), panelists=[world.sf])
    services.cancel_session(first)
    second = services.create_session(world.event, data(world, panelists=[(world.sf.id, None)]))
    assert second.room_id == first.room_id and [sp.panelist_id for sp in second.panelists] == [world.sf.id]


def test_moving_into_another_events_room_is_refused(world, make_session, make_event, organizer):
    other = make_event(organizer=organizer, title="Mali Startup Connect", starts_at=utc(8), ends_at=utc(18))
    foreign = services.create_room(other, services.RoomData(name="Salle 1"))
    commit()
    session = make_session()
    with pytest.raises(DomainError) as info:
        services.move_session(session, starts_at=utc(12), ends_at=utc(13), room_id=foreign.id)
    assert info.value.code == "invalid_session" and "room_id" in info.value.fields
    with pytest.raises(DomainError) as info:
        services.create_session(world.event, data(world, panelists=[(999_999, None)]))
    assert "panelists" in info.value.fields


def test_moving_checks_conflicts_too(world, make_session):
    make_session("Session 1", utc(10), utc(11))
    second = make_session("Session 2", utc(12), utc(13))
    with pytest.raises(DomainError) as info:
        services.move_session(second, starts_at=utc(10, 30), ends_at=utc(11, 30), room_id=world.hall.id)
    assert info.value.code == "room_conflict"
    db.session.rollback()
    services.move_session(second, starts_at=utc(10, 30), ends_at=utc(11, 30), room_id=world.side.id)


@pytest.mark.parametrize("field,value", [
    ("description", "x" * 10_001), ("title", "x" * 201), ("meeting_url", "javascript:alert(1)"),
    ("livestream_url", "https://example.org/" + "x" * 600), ("kind", "concert"), ("languages", ("xx",)),
])
def test_bad_session_fields(world, field, value):
    error = refused(world, "invalid_session", **{field: value})
    assert field in error.fields


def test_script_in_text_is_stored_as_text(world):
    session = services.create_session(world.event, data(world, title="<script>alert(1)</script>"))
    assert session.title == "<script>alert(1)</script>"


@pytest.mark.parametrize("zone", ["Mars/Olympus", "africa/bamako ", "", "UTC+1", "x" * 100])
def test_unknown_time_zone_names_are_refused_for_panelists(world, zone):
    with pytest.raises(DomainError) as info:
        pan.create_panelist(world.event, pan.PanelistData(name="Someone", timezone=zone))
    assert info.value.code == "invalid_panelist" and "timezone" in info.value.fields


def test_huge_bio_and_bad_email_are_refused(world):
    with pytest.raises(DomainError) as info:
        pan.create_panelist(world.event, pan.PanelistData(name="X", bio="b" * 2001, email="not-an-email",
                                                          country="QQ", mode="hologram"))
    assert {"bio", "email", "country", "mode"} <= set(info.value.fields)


# --- publication and changes --------------------------------------------------------------------------------

def _mails(kind: str) -> list[MailMessage]:
    return list(db.session.scalars(db.select(MailMessage).where(MailMessage.kind == kind).order_by(MailMessage.id)))


def test_publish_makes_drafts_visible_and_later_changes_are_flagged_and_emailed(world, make_session):
    session = make_session("Session 1", utc(10), utc(11), panelists=[world.algiers, world.bamako])
    assert not services.is_published(world.event)
    assert services.sessions_of(world.event, published_only=True) == []
    assert services.publish_schedule(world.event) == 1
    commit()
    assert services.is_published(world.event) and session.is_published
    assert _mails("session_change") == []

    services.move_session(session, starts_at=utc(11), ends_at=utc(12), room_id=world.hall.id)
    commit()
    assert session.changed_at is not None
    mails = _mails("session_change")
    assert {m.recipient for m in mails} == {"yacine@example.dz", "aissata@example.ml"}
    algiers_mail = next(m for m in mails if m.recipient == "yacine@example.dz")
    assert "12:00" in algiers_mail.body_text and "UTC+1" in algiers_mail.body_text  # 11:00 UTC in Algiers

    services.cancel_session(session)
    commit()
    assert session.is_cancelled
    assert len(_mails("session_change")) == 4
    with pytest.raises(DomainError) as info:
        services.delete_session(session)
    assert info.value.code == "session_published"


def test_removed_panelist_is_told_too(world, make_session):
    session = make_session("Session 1", utc(10), utc(11), panelists=[world.algiers, world.sf])
    services.publish_schedule(world.event)
    commit()
    change = services.session_data_of(session)
    change.panelists = [(world.sf.id, None)]
    services.update_session(session, change)
    commit()
    assert {m.recipient for m in _mails("session_change")} == {"yacine@example.dz", "jordan@example.com"}


def test_editing_a_draft_sends_nothing(world, make_session):
    session = make_session(panelists=[world.algiers])
    services.move_session(session, starts_at=utc(12), ends_at=utc(13), room_id=world.hall.id)
    commit()
    assert session.changed_at is None and _mails("session_change") == []


def test_new_sessions_after_publishing_stay_drafts_until_published_again(world, make_session):
    make_session("Session 1")
    services.publish_schedule(world.event)
    later = make_session("Session 2", utc(12), utc(13))
    assert not later.is_published and services.unpublished_count(world.event) == 1
    services.publish_schedule(world.event)
    assert later.is_published


# --- time zones ---------------------------------------------------------------------------------------------

def test_days_and_now_next_use_the_event_zone(make_event, organizer):
    # Los Angeles event over two local days; 23:30 local on the 13th is already the 14th in UTC.
    la = make_event(organizer=organizer, title="SF meetup", tz="America/Los_Angeles",
                    starts_at=utc(7, 30, day=14) - timedelta(days=1), ends_at=utc(23, day=14))
    days = agenda.event_days(la)
    assert [d.isoformat() for d in days] == ["2027-03-12", "2027-03-13", "2027-03-14"]
    start, end = agenda.day_bounds(la, days[2])
    assert start == utc(8) and end == utc(7, day=15)  # local midnights: PST before, PDT after
    assert end - start == timedelta(hours=23)  # the DST day is 23 hours long


def test_now_and_next(world, make_session):
    a = make_session("A", utc(10), utc(11))
    b = make_session("B", utc(11), utc(12))
    c = make_session("C", utc(11), utc(12), room=world.side)
    sessions = services.sessions_of(world.event)
    live, upcoming = agenda.now_and_next(sessions, utc(10, 30))
    assert live == [a] and set(upcoming) == {b, c}


@time_machine.travel(utc(9, 0).astimezone(ZoneInfo("America/Los_Angeles")), tick=False)
def test_session_spanning_the_us_dst_switch_in_the_panelists_zone(world, make_session):
    """01:30 PST → 03:30 PDT is one hour long (09:30–10:30 UTC); the local clock jumps at 02:00."""
    session = make_session("Financer l'amorçage", utc(9, 30), utc(10, 30), panelists=[world.sf])
    assert session.minutes == 60
    start = format_in_zone(session.starts_at, world.sf.timezone)
    end = format_in_zone(session.ends_at, world.sf.timezone)
    assert "01:30" in start and "UTC-8" in start
    assert "03:30" in end and "UTC-7" in end
    # Algiers and Bamako see the same instant at their own offsets.
    assert "10:30 (UTC+1)" in format_in_zone(session.starts_at, "Africa/Algiers")
    assert "09:30 (UTC)" in format_in_zone(session.starts_at, "Africa/Bamako")


# --- personal links and presence ------------------------------------------------------------------------------

def test_panelist_link_states(app, world, make_event, organizer):
    token = pan.make_link_token(world.algiers)
    assert pan.panelist_from_token(token, world.event) == world.algiers
    assert pan.panelist_from_token(token[:-2] + ("AA" if not token.endswith("AA") else "BB"), world.event) is None
    assert pan.panelist_from_token("garbage", world.event) is None
    other = make_event(organizer=organizer, title="Autre événement")
    assert pan.panelist_from_token(token, other) is None
    with time_machine.travel(utc(9) + timedelta(days=400), tick=False):
        assert pan.panelist_from_token(token, world.event) is None  # expired (30 days by default)
    pan.revoke_links(world.algiers)
    commit()
    assert pan.panelist_from_token(token, world.event) is None
    assert pan.panelist_from_token(pan.make_link_token(world.algiers), world.event) == world.algiers


def test_link_expiry_is_configurable(app, world, monkeypatch):
    token = pan.make_link_token(world.algiers)
    monkeypatch.setitem(app.config, "PANELIST_LINK_MAX_AGE", 60)  # restored after the test
    with time_machine.travel(utc(9) + timedelta(days=800), tick=False):
        fresh = pan.make_link_token(world.algiers)
    with time_machine.travel(utc(9) + timedelta(days=800, seconds=59), tick=False):
        assert pan.panelist_from_token(fresh, world.event) == world.algiers
    with time_machine.travel(utc(9) + timedelta(days=800, seconds=61), tick=False):
        assert pan.panelist_from_token(fresh, world.event) is None
    assert token


def test_invitation_and_resend_carry_a_fresh_link_in_the_panelists_zone(world, make_session):
    make_session("Ouverture officielle", utc(9, 15), utc(9, 45), panelists=[world.algiers])
    pan.invite(world.algiers)
    pan.invite(world.algiers)
    commit()
    mails = _mails("panelist_invitation")
    assert len(mails) == 2 and mails[0].recipient == "yacine@example.dz"
    assert "/panelist/" in mails[0].body_text and "10:15 (UTC+1)" in mails[0].body_text
    nobody = pan.create_panelist(world.event, pan.PanelistData(name="Sans email"))
    with pytest.raises(DomainError) as info:
        pan.invite(nobody)
    assert info.value.code == "no_email"


def test_arrival_counts_only_on_a_day_the_panelist_speaks(world, make_session):
    make_session("Session 1", utc(10), utc(11), panelists=[world.algiers])
    assert not pan.mark_arrived(world.algiers, world.event, now=utc(10) - timedelta(days=2))
    assert pan.mark_arrived(world.algiers, world.event, now=utc(8))
    assert not pan.mark_arrived(world.algiers, world.event, now=utc(9))  # already arrived: no news
    assert pan.is_arrived(world.algiers, world.event, utc(12))
    assert not pan.is_arrived(world.algiers, world.event, utc(12, day=15))
    room = pan.green_room(world.event, utc(12))
    assert room[0]["panelists"][0]["arrived"] is True and room[0]["panelists"][0]["mode"] == "remote"


def test_sessions_are_ordered_and_filtered_by_local_day(world, make_session):
    make_session("B", utc(12), utc(13))
    make_session("A", utc(10), utc(11))
    assert [s.title for s in services.sessions_of(world.event)] == ["A", "B"]
    assert db.session.scalar(db.select(db.func.count()).select_from(AgendaSession)) == 2
