"""Plain helpers shared by the check-in route tests (functions, not fixtures): register a person, scan through the
API, open and use a /checkin socket."""

from __future__ import annotations

from eventhub.core.db import commit
from eventhub.extensions import socketio
from eventhub.registration import services as reg

API = "/api/v1"

_n = iter(range(1, 100_000))


def person(event, mode="in_person", name="Aminata Traoré"):
    r = reg.register(event, reg.RegistrationData(name=name, email=f"x{next(_n)}@example.org", country="ML",
                                                 mode=mode, organization="=HYPERLINK(1)", consent=True)).registration
    commit()
    return r


def api_scan(client, w, code, nonce=None, point_id=None):
    return client.post(f"{API}/events/{w.event.id}/checkins", json={
        "code": code, "point_id": point_id or w.point.id, **({"nonce": nonce} if nonce else {})},
        headers={"Authorization": f"Bearer {w.token}"})


# Each socket call runs in a fresh app context, as each event does in the server (otherwise the test's own
# context, with its logged-in user and session, would leak into the handlers).

def sock(app, client, auth):
    with app.app_context():
        return socketio.test_client(app, namespace="/checkin", flask_test_client=client, auth=auth)


def emit(app, sio, event, payload):
    with app.app_context():
        return sio.emit(event, payload, namespace="/checkin", callback=True)
