"""Contract: the scanner's offline judge (static/js/checkin-judge.js, run in Debian's Chromium) answers exactly what
the server's check-in service answers, over one matrix of tickets × check-in points × event settings.

The server side is the real `check_in` on the test database, each call rolled back so every case starts from the
same state; the browser side is the real module, fed the real snapshot the scanner downloads. Any difference in
result code or reason fails, with the cases listed.

Outside the matrix by design (the device cannot know, and says so): a genuine ticket issued after the device's
last refresh (admitted on the device, `forged/not_issued` only if it does not exist), and a forged code naming
another event (`wrong_event` on the device, which has only this event's key).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Route

from eventhub.checkin import queries
from eventhub.checkin import services as ci
from eventhub.checkin.models import PointKind
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import RegistrationStatus

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parents[2] / "static"
ORIGIN = "http://localhost"  # a secure context (WebCrypto), answered by page.route: nothing leaves the browser
_n = iter(range(1, 1_000_000))


@dataclass
class Case:
    label: str
    code: str
    point_id: int
    point_label: str


def _register(event, mode: str = "in_person", name: str = "Aminata Traoré"):  # noqa: ANN001
    result = reg.register(event, reg.RegistrationData(
        name=name, email=f"judge{next(_n)}@example.org", country="ML", mode=mode, organization="Orange Mali",
        consent=True))
    db.session.flush()
    return result.registration


def _forged(code: str) -> str:
    raw = bytearray(base64.b32decode(code + "=" * (-len(code) % 8)))
    raw[-1] ^= 0x01  # one bit of the signature
    return base64.b32encode(bytes(raw)).decode().rstrip("=")


def _world(make_event, make_user):  # noqa: ANN001, ANN202
    staff = make_user("accueil@cicb.ml", "Accueil CICB")
    event = make_event(capacity=6, remote_capacity=10, title="Table ronde Algérie–Mali")
    other = make_event(title="Forum Bamako numérique")
    entrance = ci.ensure_default_point(event)[0]
    side_door = ci.add_point(event, "Porte latérale")
    gated = ci.add_point(event, "Salle 2 (badge d'entrée requis)", kind=PointKind.SESSION, requires_entry=True)
    open_room = ci.add_point(event, "Salle 3", kind=PointKind.SESSION, requires_entry=False)
    cancelled = _register(event, name="Annulée")
    reg.cancel_registration(cancelled)
    fresh = _register(event, name="Fresh")
    entered = _register(event, name="Entered")
    in_room = _register(event, name="In room 3 only")
    revoked = _register(event, name="Revoked")
    revoked_code = revoked.ticket.code
    reg.revoke_ticket(revoked)
    reissued = _register(event, name="Reissued")
    old_code = reissued.ticket.code
    reg.reissue_ticket(reissued)
    remote = _register(event, "remote", name="Remote")
    remote_entered = _register(event, "remote", name="Remote, came in")
    stranger = _register(other, name="Other event")
    commit()
    ci.check_in(entered.ticket.code, by=staff, point=entrance)
    ci.check_in(in_room.ticket.code, by=staff, point=open_room)
    ci.set_remote_upgrade(event, True)
    upgraded = ci.check_in(remote_entered.ticket.code, by=staff, point=side_door)  # takes the 6th seat
    assert upgraded.code == "admitted_upgrade"
    ci.set_remote_upgrade(event, False)
    commit()
    waitlisted = _register(event, name="Waitlisted")  # the room is full
    assert waitlisted.status == RegistrationStatus.WAITLISTED
    commit()
    codes_ = {
        "fresh": fresh.ticket.code, "fresh, typed lower-case with spaces": " ".join(
            [fresh.ticket.code[:61].lower(), fresh.ticket.code[61:]]) + "\n",
        "entered": entered.ticket.code, "in room 3 only": in_room.ticket.code, "cancelled": cancelled.tickets[-1].code,
        "revoked": revoked_code, "reissued (old code)": old_code, "reissued (new code)": reissued.ticket.code,
        "waitlisted": waitlisted.ticket.code, "remote": remote.ticket.code,
        "remote, came in": remote_entered.ticket.code,
        "other event": stranger.ticket.code, "forged": _forged(fresh.ticket.code), "unreadable": "NOT-A-TICKET",
        "empty": "", "blank": "   ", "overlong": "A" * 600,
    }
    points = {"entrance": entrance, "side door": side_door, "room 2 (requires entry)": gated, "room 3": open_room}
    cases = [Case(label, code, point.id, plabel) for plabel, point in points.items() for label, code in codes_.items()]
    return event, staff, points, cases


def _server(event, staff, points, cases: list[Case]) -> list[tuple[str, str]]:  # noqa: ANN001
    by_id = {p.id: p for p in points.values()}
    out = []
    for case in cases:
        # Every case from the same state. An outer SAVEPOINT, not only a rollback: on SQLite (pysqlite) a
        # SAVEPOINT that opens the transaction commits it on RELEASE, so check_in's own savepoint would persist.
        outer = db.session.begin_nested()
        result = ci.check_in(case.code, by=staff, point=by_id[case.point_id])
        out.append((result.code, result.detail))
        outer.rollback()
        db.session.rollback()
    return out


def _serve_static(route: Route) -> None:
    path = route.request.url.removeprefix(ORIGIN)
    if path.startswith("/static/js/") and ".." not in path:
        route.fulfill(status=200, path=str(STATIC / path.removeprefix("/static/")),
                      headers={"Content-Type": "text/javascript"})
    else:
        route.fulfill(status=200, body="<!doctype html><title>judge</title>", headers={"Content-Type": "text/html"})


JUDGE_ALL = """async ({ snapshot, cases, eventId }) => {
  const m = await import("/static/js/checkin-judge.js");
  const publicKey = await m.importKey(snapshot.public_key);
  if (!publicKey) return { error: "no WebCrypto Ed25519 in this Chromium" };
  const out = [];
  for (const c of cases) {
    const r = await m.judge(c.code, { snapshot: structuredClone(snapshot), eventId, pointId: c.point_id, publicKey });
    out.push([r.result, r.detail]);
  }
  return { out };
}"""


@pytest.fixture
def judge_page(browser):  # noqa: ANN001, ANN201
    context = browser.new_context()
    context.route(f"{ORIGIN}/**", _serve_static)
    page = context.new_page()
    page.goto(f"{ORIGIN}/")
    try:
        yield page
    finally:
        context.close()


def _browser(page, event, cases: list[Case]) -> list[tuple[str, str]]:  # noqa: ANN001
    snapshot = json.loads(json.dumps(queries.snapshot(event)))  # exactly what the scanner downloads
    answer = page.evaluate(JUDGE_ALL, {"snapshot": snapshot, "eventId": event.id,
                                       "cases": [{"code": c.code, "point_id": c.point_id} for c in cases]})
    assert "error" not in answer, answer.get("error")
    return [tuple(pair) for pair in answer["out"]]


@pytest.mark.parametrize("setting", ["upgrade off", "upgrade on, room full", "upgrade on, seats left"])
def test_the_browser_judges_every_case_like_the_server(judge_page, make_event, make_user, setting):
    event, staff, points, cases = _world(make_event, make_user)
    if setting != "upgrade off":
        ci.set_remote_upgrade(event, True)
    if setting == "upgrade on, seats left":
        event.capacity = 20
    commit()
    server = _server(event, staff, points, cases)
    device = _browser(judge_page, event, cases)
    differences = [f"{c.label!r} at {c.point_label}: server {s}, device {d}"
                   for c, s, d in zip(cases, server, device, strict=True) if s != d]
    assert not differences, "\n".join(differences)
    # The matrix is not vacuous: it reaches every result the device can give.
    assert {s[0] for s in server} == {"admitted", "admitted_upgrade", "already_checked_in", "unreadable", "forged",
                                      "revoked", "waitlisted", "wrong_event", "remote_only", "not_entered"} - (
        {"admitted_upgrade"} if setting != "upgrade on, seats left" else {"remote_only"})


def test_the_device_remembers_its_offline_admissions_like_the_server(judge_page, make_event, make_user):
    """Admitted offline at the entrance, then at the gated room: the server says `admitted` both times."""
    event, staff, points, cases = _world(make_event, make_user)
    code = next(c.code for c in cases if c.label == "fresh")
    entrance, gated = points["entrance"], points["room 2 (requires entry)"]
    snapshot = json.loads(json.dumps(queries.snapshot(event)))
    answer = judge_page.evaluate("""async ({ snapshot, code, eventId, entrance, gated }) => {
      const m = await import("/static/js/checkin-judge.js");
      const publicKey = await m.importKey(snapshot.public_key);
      const seq = [];
      for (const pointId of [gated, entrance, entrance, gated]) {
        const r = await m.judge(code, { snapshot, eventId, pointId, publicKey });
        if (r.key) m.recordAdmission(snapshot, r.key, r.result, pointId, "2026-12-03T08:15:00+00:00");
        seq.push(r.result);
      }
      return seq;
    }""", {"snapshot": snapshot, "code": code, "eventId": event.id, "entrance": entrance.id, "gated": gated.id})
    server = []
    for point in (gated, entrance, entrance, gated):
        server.append(ci.check_in(code, by=staff, point=point).code)
        commit()
    assert answer == server == ["not_entered", "admitted", "already_checked_in", "admitted"]
