"""The OpenAPI document against the real API: every documented operation is called through the test client on the
demo data, and each real response body is validated (jsonschema, draft 2020-12) against the schema the document
declares for the status it answered; refusals (401, 403, 404, 422) are validated the same way."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, timedelta
from types import SimpleNamespace

import pytest
from flask import Blueprint, Flask
from jsonschema import Draft202012Validator
from pydantic import BaseModel

from eventhub.auth.models import User
from eventhub.auth.services import create_api_token
from eventhub.checkin import services as ci
from eventhub.core.apidoc import operation, operation_of, request_body
from eventhub.core.db import commit
from eventhub.demo.data import load_demo
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import Registration
from eventhub.schedule import services as sched

API = "/api/v1"
UNKNOWN_ID = 2**31 - 1
METHODS = ("get", "post", "put", "patch", "delete")


@dataclass
class Call:
    method: str
    path: str  # the document's template
    params: dict
    status: int
    json: object = None
    token: bool = True
    extra: dict = field(default_factory=dict)

    def url(self, **overrides) -> str:
        values = {**self.params, **overrides}
        return API + re.sub(r"{(\w+)}", lambda m: str(values[m[1]]), self.path)


@pytest.fixture
def demo(ctx):
    """The demo data (round table with schedule, Q&A, polls, speeches, report; registrations) and the round
    table's API token."""
    load_demo()
    commit()
    event = db.session.scalar(db.select(Event).where(Event.title.startswith("Table ronde")))
    organizer = db.session.scalar(db.select(User).where(User.email == "organisation@mda.ml"))
    _row, token = create_api_token(event, organizer, "openapi test")
    regs = db.session.scalars(db.select(Registration).where(Registration.event_id == event.id)
                              .order_by(Registration.id)).all()
    session = sched.sessions_of(event, published_only=True)[0]
    draft = sched.create_session(event, sched.SessionData(title="Brouillon", starts_at=event.ends_at - timedelta(
        minutes=20), ends_at=event.ends_at - timedelta(minutes=10)))
    spare_room = sched.create_room(event, sched.RoomData(name="Salle à supprimer", capacity=10))
    point = ci.ensure_default_point(event)[0]
    commit()
    return SimpleNamespace(event=event, token=token, reg=regs[0], to_cancel=regs[1], to_revoke=regs[2],
                           code=regs[3].ticket.code, offline_code=regs[4].ticket.code, session=session, draft=draft,
                           room=sched.rooms_of(event)[0], spare_room=spare_room, point=point)


def calls(w) -> list[Call]:
    """One real call per documented operation, in an order where each finds what it needs (deletes last)."""
    e = {"event_id": w.event.id}
    start = w.event.ends_at.astimezone(UTC) - timedelta(minutes=50)
    new_session = {"title": "Session ajoutée", "starts_at": start.isoformat(),
                   "ends_at": (start + timedelta(minutes=15)).isoformat(), "languages": ["fr", "ar"]}
    scan = {"code": w.code, "point_id": w.point.id, "nonce": "openapi-1"}
    offline = {"scans": [{"code": w.offline_code, "nonce": "offline-1", "point_id": w.point.id,
                          "at": (w.event.starts_at.astimezone(UTC) + timedelta(minutes=5)).isoformat(),
                          "local_result": "admitted"}]}
    registration = {"name": "Awa Keïta", "email": "awa.keita@example.org", "country": "ML", "mode": "remote",
                    "consent": True}
    return [
        Call("get", "/events", {}, 200, token=False),
        Call("get", "/events/{event_id}", e, 200, token=False),
        Call("patch", "/events/{event_id}", e, 200, {"venue": "CICB, Bamako"}),
        Call("get", "/events/{event_id}/public-key", e, 200, token=False),
        Call("post", "/events/{event_id}/registrations", e, 201, registration, token=False),
        Call("get", "/events/{event_id}/registrations", e, 200, extra={"query_string": {"limit": 5}}),
        Call("get", "/events/{event_id}/registrations/{registration_id}", {**e, "registration_id": w.reg.id}, 200),
        Call("post", "/events/{event_id}/registrations/{registration_id}/cancel",
             {**e, "registration_id": w.to_cancel.id}, 200),
        Call("post", "/events/{event_id}/registrations/{registration_id}/revoke-ticket",
             {**e, "registration_id": w.to_revoke.id}, 200),
        Call("get", "/tickets/{code}", {"code": w.code}, 200, token=False),
        Call("get", "/openapi.json", {}, 200, token=False),
        Call("post", "/events/{event_id}/checkins", e, 200, scan),
        Call("post", "/events/{event_id}/checkins/sync", e, 200, offline),
        Call("get", "/events/{event_id}/checkins/log", e, 200),
        Call("get", "/events/{event_id}/speaking-times", e, 200),
        Call("get", "/events/{event_id}/sessions/{session_id}/speaking-times", {**e, "session_id": w.session.id}, 200),
        Call("get", "/events/{event_id}/report/attendance", e, 200),
        Call("get", "/events/{event_id}/report/questions", e, 200),
        Call("get", "/events/{event_id}/report/polls", e, 200),
        Call("get", "/events/{event_id}/report/speaking-times", e, 200),
        Call("get", "/events/{event_id}/rooms", e, 200, token=False),
        Call("post", "/events/{event_id}/rooms", e, 201, {"name": "Salle VIP", "capacity": 12}),
        Call("patch", "/events/{event_id}/rooms/{room_id}", {**e, "room_id": w.room.id}, 200, {"capacity": 120}),
        Call("get", "/events/{event_id}/sessions", e, 200, token=False),
        Call("get", "/events/{event_id}/sessions/{session_id}", {**e, "session_id": w.session.id}, 200, token=False),
        Call("post", "/events/{event_id}/sessions", e, 201, new_session),
        Call("patch", "/events/{event_id}/sessions/{session_id}", {**e, "session_id": w.session.id}, 200,
             {"description": "Modifiée par l'API"}),
        Call("delete", "/events/{event_id}/rooms/{room_id}", {**e, "room_id": w.spare_room.id}, 204),
        Call("delete", "/events/{event_id}/sessions/{session_id}", {**e, "session_id": w.draft.id}, 204),
    ]


def send(client, w, call: Call, *, token: bool = True, json: object = None, **url):
    headers = {"Authorization": f"Bearer {w.token}"} if token else {}
    body = call.json if json is None else json
    return client.open(call.url(**url), method=call.method.upper(), headers=headers,
                       **({"json": body} if body is not None else {}), **call.extra)


class Validated:
    """Validates response bodies against the document; counts what it checked."""

    def __init__(self, doc: dict) -> None:
        self.doc, self.count = doc, 0

    def __call__(self, call: Call, response) -> None:
        op = self.doc["paths"][call.path][call.method]
        declared = op["responses"].get(str(response.status_code))
        assert declared is not None, (op["operationId"], response.status_code, response.get_data(as_text=True)[:300])
        if "content" not in declared:
            assert response.data == b"", op["operationId"]
        else:
            assert response.is_json, op["operationId"]
            schema = {**declared["content"]["application/json"]["schema"], "components": self.doc["components"]}
            validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
            errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(response.get_json())]
            assert not errors, (op["operationId"], response.status_code, errors[:5])
        self.count += 1


def documented(doc: dict) -> set[tuple[str, str]]:
    return {(path, m) for path, item in doc["paths"].items() for m in item if m in METHODS}


def test_every_documented_operation_answers_what_the_document_declares(client, demo):
    doc = client.get(f"{API}/openapi.json").get_json()
    plan = calls(demo)
    assert {(c.path, c.method) for c in plan} == documented(doc)  # a new operation needs a call here
    check = Validated(doc)
    for call in plan:
        response = send(client, demo, call, token=call.token)
        assert response.status_code == call.status, (call.path, call.method, response.get_data(as_text=True)[:500])
        check(call, response)
    assert check.count == len(plan) == 29


def test_refusals_answer_the_documented_error_body(client, demo):
    doc = client.get(f"{API}/openapi.json").get_json()
    check = Validated(doc)
    expected = 0
    for call in calls(demo):
        op = doc["paths"][call.path][call.method]
        statuses = set(op["responses"])
        if op.get("security") == [{"bearerAuth": []}]:
            response = send(client, demo, call, token=False)
            assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
            check(call, response)
            response = send(client, demo, call, event_id=UNKNOWN_ID)  # the token is this event's, not that one's
            assert response.status_code == 403 and response.get_json()["error"]["code"] == "forbidden"
            check(call, response)
            expected += 2
        elif "404" in statuses and "event_id" in call.params:
            response = send(client, demo, call, event_id=UNKNOWN_ID)
            assert response.status_code == 404, (op["operationId"], response.get_data(as_text=True)[:300])
            check(call, response)
            expected += 1
        if "requestBody" in op:
            response = send(client, demo, call, token=call.token, json=["not", "an", "object"])
            assert response.status_code == 422 and response.get_json()["error"]["code"] == "invalid_body"
            check(call, response)
            expected += 1
    assert check.count == expected and expected >= 40, expected


def test_every_json_api_route_is_a_declared_operation(app, client):
    doc = client.get(f"{API}/openapi.json").get_json()
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            assert operation_of(app.view_functions[rule.endpoint]) is not None, rule.rule
            path = re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule.rule[len(API):])
            served |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == documented(doc)
    ids = [op["operationId"] for item in doc["paths"].values() for m, op in item.items() if m in METHODS]
    assert len(ids) == len(set(ids)) == 29


# --- the layer itself, on a throw-away app: drift between declaration and behaviour is an error ------------------

class Thing(BaseModel):
    id: int
    name: str


class ThingIn(BaseModel):
    name: str


def _drift_app(view: Callable) -> Flask:
    probe = Flask("apidoc_probe")
    bp = Blueprint("probe", __name__, url_prefix="/api/v1")
    bp.add_url_rule("/things", "things", view, methods=["POST"])
    probe.register_blueprint(bp)
    return probe


@pytest.mark.parametrize("answer", [
    lambda: {"id": "not a number", "name": "x"},  # the body does not match the declared model
    lambda: ({"id": 1, "name": "x"}, 202),  # a status the operation does not declare
    lambda: (ThingIn(name="x"), 201),  # another model than the declared one
])
def test_an_answer_the_operation_does_not_declare_is_a_server_error(answer):
    view = operation("makeThing", "Make a thing", body=ThingIn, responses={201: Thing})(answer)
    response = _drift_app(view).test_client().post("/api/v1/things", json={"name": "x"})
    assert response.status_code == 500


def test_the_declared_body_model_parses_the_request():
    @operation("makeThing", "Make a thing", body=ThingIn, responses={201: Thing})
    def make():
        body: ThingIn = request_body()
        return Thing(id=7, name=body.name), 201

    client = _drift_app(make).test_client()
    response = client.post("/api/v1/things", json={"name": "Salle 2"})
    assert response.status_code == 201 and response.get_json() == {"id": 7, "name": "Salle 2"}
