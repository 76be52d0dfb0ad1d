"""Offline sync never admits someone the device turned away (issue 8: the door's first correctness fault).

A scan the device answered with any refusal (amber or red) is recorded as that refused offline scan: no check-in,
no seat taken, even when the server would admit the ticket now (a stale copy, a setting changed since).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckIn, Scan
from eventhub.core.db import commit
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import AttendanceMode, RegistrationStatus


def offline(code: str, nonce: str, point, local: str | None):  # noqa: ANN001
    return ci.OfflineScan(code=code, nonce=nonce, at=utcnow() - timedelta(minutes=5), point_id=point.id,
                          device_id="phone-A", local_result=local)


def checkins() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(CheckIn))


def test_remote_ticket_shown_amber_offline_stays_refused_after_upload(event, door, staff, person):
    ci.set_remote_upgrade(event, True)  # the server would upgrade it now…
    commit()
    remote = person("remote", name="Oumar Keïta")
    seats_before = event.seats_left
    results = ci.sync_offline(event, [offline(remote.ticket.code, "r-1", door, "remote_only")], by=staff)
    commit()
    assert results[0]["ok"] is True
    assert results[0]["result"] == "remote_only" and results[0]["color"] == "amber"
    assert results[0]["detail"] == "device_refused" and not results[0]["double_entry"]
    assert checkins() == 0
    db.session.expire_all()
    assert remote.mode == AttendanceMode.REMOTE and event.seats_left == seats_before
    logged = db.session.scalars(db.select(Scan)).one()
    assert (logged.result, logged.detail, logged.offline, logged.checkin_id) == ("remote_only", "device_refused",
                                                                                 True, None)
    assert logged.registration_id == remote.id


@pytest.mark.parametrize("local", ["revoked", "waitlisted", "wrong_event", "forged", "unreadable",
                                   "already_checked_in", "not_entered"])
def test_every_device_refusal_is_recorded_refused(event, door, staff, person, local):
    r = person()  # confirmed and valid: the server alone would admit it
    results = ci.sync_offline(event, [offline(r.ticket.code, f"n-{local}", door, local)], by=staff)
    commit()
    assert (results[0]["result"], results[0]["detail"]) == (local, "device_refused")
    assert results[0]["color"] == ("amber" if local in ("waitlisted", "already_checked_in", "not_entered")
                                   else "red")
    assert "checkin_id" not in results[0]
    assert checkins() == 0
    # The ticket can still be scanned for real: the refused scan took nothing.
    again = ci.check_in(r.ticket.code, by=staff, point=door)
    commit()
    assert again.code == "admitted"


def test_a_waitlisted_person_promoted_after_the_snapshot_is_not_let_in_by_the_upload(event, door, staff, person):
    r = person()
    r.status = RegistrationStatus.WAITLISTED  # what the device's copy said
    db.session.flush()
    r.status = RegistrationStatus.CONFIRMED  # promoted before the upload
    commit()
    results = ci.sync_offline(event, [offline(r.ticket.code, "w-1", door, "waitlisted")], by=staff)
    commit()
    assert (results[0]["result"], results[0]["detail"]) == ("waitlisted", "device_refused")
    assert checkins() == 0


def test_a_refusal_the_server_agrees_with_keeps_the_servers_reason(event, door, staff, person):
    r = person()
    code = r.ticket.code
    reg.revoke_ticket(r)
    commit()
    results = ci.sync_offline(event, [offline(code, "v-1", door, "revoked")], by=staff)
    commit()
    assert (results[0]["result"], results[0]["detail"]) == ("revoked", "revoked")
    assert checkins() == 0


def test_green_on_the_device_is_still_admitted_and_a_missing_local_result_too(event, door, staff, person):
    a, b = person(name="A"), person(name="B")
    results = ci.sync_offline(event, [offline(a.ticket.code, "g-1", door, "admitted"),
                                      offline(b.ticket.code, "g-2", door, None)], by=staff)
    commit()
    assert [r["result"] for r in results] == ["admitted", "admitted"]
    assert checkins() == 2


def test_refused_offline_scan_over_http_and_its_replay(client, login, event, door, staff, person):
    grant_role(event, staff, Role.DOOR_STAFF)
    commit()
    login(staff)
    remote = person("remote")
    ci.set_remote_upgrade(event, True)
    commit()
    item = {"code": remote.ticket.code, "nonce": "http-1", "at": utcnow().isoformat(), "point_id": door.id,
            "device_id": "phone-A", "local_result": "remote_only"}
    for replayed in (False, True):
        response = client.post(f"/checkin/events/{event.id}/sync", json={"scans": [item]})
        assert response.status_code == 200
        out = response.get_json()["results"][0]
        assert (out["result"], out["detail"], out["replayed"]) == ("remote_only", "device_refused", replayed)
    assert checkins() == 0
