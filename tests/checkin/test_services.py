"""The check-in service: every result code, exactly once, undo, session points, remote upgrade, offline sync.

Time is frozen at a Bamako wall-clock time (Africa/Bamako) so stored times can be asserted exactly.
"""

from __future__ import annotations

import base64
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from eventhub.checkin import queries
from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckIn, PointKind, Scan
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode, RegistrationStatus
from eventhub.tickets import codes

BAMAKO = ZoneInfo("Africa/Bamako")
DOORS_OPEN = datetime(2026, 12, 3, 8, 15, tzinfo=BAMAKO)


@pytest.fixture
def frozen():
    with time_machine.travel(DOORS_OPEN, tick=False) as traveller:
        yield traveller


@pytest.fixture
def staff(make_user):
    return make_user("accueil@cicb.ml", "Accueil CICB")


@pytest.fixture
def event(make_event):
    return make_event(capacity=3, remote_capacity=10)


@pytest.fixture
def door(event):
    point = ci.ensure_default_point(event)[0]
    commit()
    return point


_n = iter(range(1, 100_000))


def person(event, mode: str = "in_person", name: str = "Aminata Traoré"):
    result = reg.register(event, reg.RegistrationData(
        name=name, email=f"p{next(_n)}@example.org", country="ML", mode=mode, organization="Orange Mali",
        consent=True))
    commit()
    return result.registration


def scan(code, *, by, point, **kw):
    result = ci.check_in(code, by=by, point=point, **kw)
    commit()
    return result


def scans() -> list[Scan]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Scan).order_by(Scan.id)))


def live_checkins() -> list[CheckIn]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(CheckIn).where(CheckIn.undone_at.is_(None))))


# --- admitted and already checked in ---------------------------------------------------------------------------

def test_admitted_then_already_checked_in_with_when_where_who(event, door, staff, frozen):
    r = person(event)
    first = scan(r.ticket.code, by=staff, point=door, nonce="n1")
    assert first.code == "admitted" and first.color == "green"
    body = first.to_dict()
    assert body["attendee"] == {"registration_id": r.id, "name": "Aminata Traoré", "organization": "Orange Mali",
                                "mode": "in_person", "status": "confirmed"}
    assert "email" not in str(body)
    checkin = live_checkins()[0]
    assert checkin.admitted_at == DOORS_OPEN  # stored UTC (Bamako is UTC+0), aware
    assert checkin.admitted_at.tzinfo is not None and checkin.by_id == staff.id

    frozen.shift(timedelta(minutes=7))
    second = scan(r.ticket.code, by=staff, point=door, nonce="n2")
    assert second.code == "already_checked_in" and second.color == "amber"
    first_info = second.to_dict()["first"]
    assert first_info["at"] == DOORS_OPEN.astimezone(ZoneInfo("UTC")).isoformat()
    assert first_info["point"] == door.name and first_info["by"] == "Accueil CICB"
    assert [s.result for s in scans()] == ["admitted", "already_checked_in"]
    assert len(live_checkins()) == 1


def test_an_admission_rolled_back_leaves_nothing_behind_in_the_session(event, door, staff, frozen):
    """A scan undone by a rollback, then another in the same session: SQLite gives the new check-in the same id,
    and the first one's object (made without a SELECT) must not stand in its way (it raised InvalidRequestError)."""
    first, second = person(event), person(event, name="Karim Benali")
    outer = db.session.begin_nested()
    undone = ci.check_in(first.ticket.code, by=staff, point=door)  # still held, as a batch's answers are
    assert undone.code == "admitted"
    outer.rollback()
    db.session.rollback()
    again = ci.check_in(second.ticket.code, by=staff, point=door)
    commit()
    assert again.code == "admitted" and again.checkin is not None
    assert [c.registration_id for c in live_checkins()] == [second.id]


# --- refusals ---------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("garbage", ["", "   ", "hello", "A" * 10_240, "\x00\x01<script>", "https://example.org/"])
def test_garbage_is_unreadable_and_logged_without_the_input(event, door, staff, frozen, garbage):
    result = scan(garbage, by=staff, point=door)
    assert result.code == "unreadable" and result.color == "red"
    logged = scans()[-1]
    assert logged.result == "unreadable" and len(logged.code_prefix) <= 16 and len(logged.code_hash) == 64
    assert logged.scanned_at == DOORS_OPEN


def test_truncated_code_is_unreadable(event, door, staff, frozen):
    code = person(event).ticket.code
    assert scan(code[:-5], by=staff, point=door).code == "unreadable"
    assert live_checkins() == []


def test_tampered_signature_is_forged(event, door, staff, frozen):
    code = person(event).ticket.code
    raw = bytearray(base64.b32decode(code + "=" * (-len(code) % 8)))
    raw[-1] ^= 0x01
    tampered = base64.b32encode(bytes(raw)).decode().rstrip("=")
    result = scan(tampered, by=staff, point=door)
    assert result.code == "forged" and result.color == "red"
    assert scans()[-1].result == "forged"


def test_code_signed_with_another_key_is_forged(event, door, staff, frozen):
    code = codes.encode(event.id, codes.new_secret(), codes.generate_signing_key())
    assert scan(code, by=staff, point=door).code == "forged"
    # Refused, yet recorded with its reason, and nobody admitted.
    assert db.session.scalars(db.select(Scan.result)).all() == ["forged"]
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 0


def test_genuine_signature_but_never_issued_is_forged(event, door, staff, frozen):
    code = codes.encode(event.id, codes.new_secret(), event.signing_key)
    result = scan(code, by=staff, point=door)
    assert (result.code, result.detail) == ("forged", "not_issued")


def test_cancelled_registration_is_revoked(event, door, staff, frozen):
    r = person(event)
    code = r.ticket.code
    reg.cancel_registration(r)
    commit()
    result = scan(code, by=staff, point=door)
    assert (result.code, result.detail, result.color) == ("revoked", "cancelled", "red")
    assert result.to_dict()["message"] == ci.result_message("revoked", "cancelled") != ci.result_message("revoked")


def test_revoked_and_reissued_tickets_are_revoked(event, door, staff, frozen):
    r = person(event)
    old = r.ticket.code
    reg.reissue_ticket(r)
    commit()
    assert (scan(old, by=staff, point=door).code, scans()[-1].detail) == ("revoked", "reissued")
    reg.revoke_ticket(r)
    commit()
    result = scan(r.tickets[-1].code, by=staff, point=door)
    assert (result.code, result.detail) == ("revoked", "revoked")


def test_waitlisted_is_not_admitted(event, door, staff, frozen):
    for i in range(3):
        person(event, name=f"Seat {i}")
    waiting = person(event, name="Moussa Keïta")
    assert waiting.status == RegistrationStatus.WAITLISTED
    result = scan(waiting.ticket.code, by=staff, point=door)
    assert (result.code, result.color) == ("waitlisted", "amber")
    assert result.to_dict()["attendee"]["name"] == "Moussa Keïta"
    assert live_checkins() == []


def test_another_events_valid_ticket_is_wrong_event(make_event, event, door, staff, frozen):
    other = make_event(title="Mali Startup Connect")
    code = person(other).ticket.code
    result = scan(code, by=staff, point=door)
    assert (result.code, result.color) == ("wrong_event", "red")
    assert result.to_dict()["attendee"] is None  # no personal data of another event
    assert live_checkins() == []


# --- remote tickets at the door ---------------------------------------------------------------------------------

def test_remote_ticket_refused_when_upgrade_is_off(event, door, staff, frozen):
    remote = person(event, mode="remote")
    result = scan(remote.ticket.code, by=staff, point=door)
    assert (result.code, result.detail, result.color) == ("remote_only", "upgrade_off", "amber")
    assert live_checkins() == []


def test_remote_ticket_upgraded_while_seats_remain(event, door, staff, frozen):
    ci.set_remote_upgrade(event, True)
    remote = person(event, mode="remote")
    result = scan(remote.ticket.code, by=staff, point=door)
    assert result.code == "admitted_upgrade" and result.color == "green"
    db.session.expire_all()
    assert remote.mode == AttendanceMode.IN_PERSON
    assert (event.confirmed_in_person, event.confirmed_remote) == (1, 0)
    assert live_checkins()[0].upgraded


def test_remote_ticket_refused_when_no_seats_remain(event, door, staff, frozen):
    ci.set_remote_upgrade(event, True)
    for i in range(3):
        person(event, name=f"Seat {i}")
    remote = person(event, mode="remote")
    result = scan(remote.ticket.code, by=staff, point=door)
    assert (result.code, result.detail) == ("remote_only", "no_seats")
    db.session.expire_all()
    assert remote.mode == AttendanceMode.REMOTE
    assert (event.confirmed_in_person, event.confirmed_remote) == (3, 1)
    assert live_checkins() == []


# --- session points ---------------------------------------------------------------------------------------------

def test_session_point_requiring_entry(event, door, staff, frozen):
    room = ci.add_point(event, "Salle 2 — Session 1", kind=PointKind.SESSION, agenda_session_id=7,
                        requires_entry=True)
    open_room = ci.add_point(event, "Salle 3", kind=PointKind.SESSION)
    commit()
    r = person(event)
    assert scan(r.ticket.code, by=staff, point=room).code == "not_entered"
    assert scan(r.ticket.code, by=staff, point=open_room).code == "admitted"  # no entry required there
    assert scan(r.ticket.code, by=staff, point=door).code == "admitted"
    assert scan(r.ticket.code, by=staff, point=room).code == "admitted"
    counters = queries.counters(event)
    assert counters["checked_in"] == 1  # session attendance does not count twice at the door
    assert {p["name"]: p["checked_in"] for p in counters["points"]} == {
        door.name: 1, "Salle 2 — Session 1": 1, "Salle 3": 1}


# --- exactly once: nonce, undo ----------------------------------------------------------------------------------

def test_repeated_nonce_is_a_replay_not_a_second_scan(event, door, staff, frozen):
    r = person(event)
    first = scan(r.ticket.code, by=staff, point=door, nonce="retry-1")
    again = scan(r.ticket.code, by=staff, point=door, nonce="retry-1")
    assert (first.code, again.code) == ("admitted", "admitted")
    assert again.replayed and again.scan_id == first.scan_id
    assert len(scans()) == 1 and len(live_checkins()) == 1


def test_undo_keeps_history_and_allows_readmission(event, door, staff, make_user, frozen):
    organizer = make_user("orga@mda.ml", "Coordination MDA")
    r = person(event)
    first = scan(r.ticket.code, by=staff, point=door)
    ci.undo_checkin(first.checkin, by=organizer)
    commit()
    assert live_checkins() == []
    with pytest.raises(ci.Conflict):
        ci.undo_checkin(first.checkin, by=organizer)
    db.session.rollback()
    frozen.shift(timedelta(minutes=2))
    again = scan(r.ticket.code, by=staff, point=door)
    assert again.code == "admitted"
    all_checkins = list(db.session.scalars(db.select(CheckIn).order_by(CheckIn.id)))
    assert len(all_checkins) == 2 and all_checkins[0].undone_by_id == organizer.id
    assert all_checkins[0].undone_at == DOORS_OPEN


# --- offline sync -----------------------------------------------------------------------------------------------

def offline(code, nonce, at, point, device="phone-A", local="admitted"):
    return ci.OfflineScan(code=code, nonce=nonce, at=at, point_id=point.id, device_id=device, local_result=local)


def test_offline_batch_recorded_as_it_happened_and_replay_changes_nothing(event, door, staff, frozen):
    a, b = person(event, name="A"), person(event, name="B")
    batch = [offline(b.ticket.code, "b-1", DOORS_OPEN - timedelta(minutes=3), door),
             offline(a.ticket.code, "a-1", DOORS_OPEN - timedelta(minutes=9), door),
             offline("garbage", "g-1", DOORS_OPEN - timedelta(minutes=5), door, local="unreadable")]
    results = ci.sync_offline(event, batch, by=staff)
    commit()
    assert [(r["index"], r["result"]) for r in results] == [(0, "admitted"), (1, "admitted"), (2, "unreadable")]
    logged = {s.nonce: s for s in scans()}
    assert logged["a-1"].scanned_at == DOORS_OPEN - timedelta(minutes=9)
    assert logged["a-1"].received_at == DOORS_OPEN and logged["a-1"].offline
    assert {c.admitted_at for c in live_checkins()} == {DOORS_OPEN - timedelta(minutes=9),
                                                        DOORS_OPEN - timedelta(minutes=3)}
    replay = ci.sync_offline(event, batch, by=staff)
    commit()
    assert [(r["result"], r["replayed"]) for r in replay] == [("admitted", True), ("admitted", True),
                                                              ("unreadable", True)]
    assert len(scans()) == 3 and len(live_checkins()) == 2


def test_two_offline_scanners_admitting_one_ticket_is_a_flagged_double_entry(event, door, staff, frozen):
    r = person(event)
    ci.sync_offline(event, [offline(r.ticket.code, "A-1", DOORS_OPEN - timedelta(minutes=4), door, "phone-A")],
                    by=staff)
    commit()
    results = ci.sync_offline(event, [offline(r.ticket.code, "B-1", DOORS_OPEN - timedelta(minutes=2), door,
                                              "phone-B")], by=staff)
    commit()
    assert results[0]["result"] == "already_checked_in" and results[0]["double_entry"]
    assert len(live_checkins()) == 1  # never merged silently: one check-in, both scans, one flagged
    flagged = queries.log(event, double_only=True)
    assert [s.device_id for s in flagged] == ["phone-B"]
    assert queries.counters(event)["double_entries"] == 1


def test_offline_scan_that_the_device_already_refused_is_not_a_double_entry(event, door, staff, frozen):
    r = person(event)
    scan(r.ticket.code, by=staff, point=door)
    results = ci.sync_offline(event, [offline(r.ticket.code, "x", DOORS_OPEN, door, local="already_checked_in")],
                              by=staff)
    assert results[0]["result"] == "already_checked_in" and not results[0]["double_entry"]
    assert db.session.scalar(db.select(db.func.count()).select_from(CheckIn)) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan).where(Scan.double_entry.is_(True))) == 0


def test_offline_scan_at_an_unknown_point_is_an_error_item(event, door, make_event, staff, frozen):
    other_door = ci.ensure_default_point(make_event(title="Autre"))[0]
    results = ci.sync_offline(event, [offline(person(event).ticket.code, "z", DOORS_OPEN, other_door)], by=staff)
    assert results[0]["ok"] is False and results[0]["error"]["code"] == "point_not_found"
    assert results[0]["index"] == 0 and results[0]["nonce"] == "z"
    assert db.session.scalar(db.select(db.func.count()).select_from(Scan)) == 0  # nothing logged at another event


def test_snapshot_has_no_emails_and_marks_checked_in(event, door, staff, frozen):
    r = person(event)
    scan(r.ticket.code, by=staff, point=door)
    snap = queries.snapshot(event)
    assert "@" not in str(snap["tickets"])
    entry = snap["tickets"][queries.ticket_key(r.ticket.secret)]
    assert entry["n"] == "Aminata Traoré" and entry["s"] == "confirmed" and str(door.id) in entry["c"]
    assert snap["public_key"]
