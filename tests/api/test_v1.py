"""The JSON API v1: events, registrations, tickets, the public key, the OpenAPI document, rate limits."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest

from tests.conftest import future

API = "/api/v1"


def body(**overrides) -> dict:
    data = {"name": "Aminata Traoré", "email": "aminata@example.org", "country": "ML", "mode": "in_person",
            "organization": "Orange Mali", "job_title": "Directrice", "consent": True}
    data.update(overrides)
    return data


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def assert_error(response, status: int, code: str, fields: set[str] | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)[:800]
    assert response.is_json
    payload = response.get_json()
    assert set(payload) == {"error"}, payload
    error = payload["error"]
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    if fields is not None:
        assert isinstance(error.get("fields"), dict), error
        assert fields <= set(error["fields"]), f"expected errors on {fields}, got {error['fields']}"
        for messages in error["fields"].values():
            assert isinstance(messages, list) and messages and all(isinstance(m, str) and m for m in messages)
    from eventhub.api.schemas import ErrorBody

    ErrorBody.model_validate(payload)
    return error


def registration_count(event=None) -> int:
    from eventhub.extensions import db
    from eventhub.registration.models import Registration

    query = db.select(db.func.count()).select_from(Registration)
    if event is not None:
        query = query.where(Registration.event_id == event.id)
    return db.session.scalar(query)


@pytest.fixture
def organizer(make_user):
    return make_user("orga@example.org", "Organisatrice")


@pytest.fixture
def event(make_event, organizer):
    return make_event(organizer=organizer)


@pytest.fixture
def token(event, organizer) -> str:
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    _row, plaintext = create_api_token(event, organizer, "tests")
    commit()
    return plaintext


def post_registration(client, event, payload=None, **kw):
    return client.post(f"{API}/events/{event.id}/registrations", json=body() if payload is None else payload, **kw)


# --- events ---------------------------------------------------------------------------------------------------

def test_list_events_shows_published_upcoming_only(client, make_event, organizer):
    from eventhub.api.schemas import EventOut

    published = make_event(organizer=organizer, title="Publié")
    draft = make_event(organizer=organizer, title="Brouillon", publish=False)
    past = make_event(organizer=organizer, title="Passé", starts_at=future(-10),
                      ends_at=future(-10) + timedelta(hours=2))
    response = client.get(f"{API}/events")
    assert response.status_code == 200
    items = response.get_json()["items"]
    ids = [item["id"] for item in items]
    assert published.id in ids
    assert draft.id not in ids and past.id not in ids
    for item in items:
        EventOut.model_validate(item)
    assert "signing_key" not in response.get_data(as_text=True)


def test_get_event(client, event):
    from eventhub.api.schemas import EventOut

    response = client.get(f"{API}/events/{event.id}")
    assert response.status_code == 200
    out = EventOut.model_validate(response.get_json())
    assert out.id == event.id and out.status == "published" and out.seats_left == 100
    assert out.starts_at.tzinfo is not None
    assert out.url.endswith(f"/e/{event.slug}")
    assert_error(client.get(f"{API}/events/999999"), 404, "event_not_found")


def test_draft_event_is_invisible_without_its_token(client, make_event, organizer):
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    draft = make_event(organizer=organizer, publish=False)
    other = make_event(organizer=organizer)
    _r, draft_token = create_api_token(draft, organizer, "draft")
    _r, other_token = create_api_token(other, organizer, "other")
    commit()
    for path in (f"/events/{draft.id}", f"/events/{draft.id}/public-key"):
        assert_error(client.get(API + path), 404, "event_not_found")
        assert_error(client.get(API + path, headers=bearer(other_token)), 404, "event_not_found")
        assert client.get(API + path, headers=bearer(draft_token)).status_code == 200
    assert_error(post_registration(client, draft), 404, "event_not_found")
    assert registration_count() == 0
    listed = [e["id"] for e in client.get(f"{API}/events", headers=bearer(draft_token)).get_json()["items"]]
    assert draft.id not in listed


# --- POST registrations ---------------------------------------------------------------------------------------

def test_valid_public_registration(client, event):
    from eventhub.api.schemas import RegistrationOut, TicketStatus
    from eventhub.tickets import codes

    response = post_registration(client, event)
    assert response.status_code == 201, response.get_data(as_text=True)
    out = RegistrationOut.model_validate(response.get_json())
    assert set(response.get_json()) == set(RegistrationOut.model_fields)
    assert (out.event_id, out.name, out.email, out.country, out.mode, out.status) == (
        event.id, "Aminata Traoré", "aminata@example.org", "ML", "in_person", "confirmed")
    assert out.waitlist_position is None
    assert out.ticket is not None and not out.ticket.revoked
    assert codes.parse(out.ticket.code).event_id == event.id
    assert out.ticket.url.endswith(f"/t/{out.ticket.code}")
    assert out.ticket.png_url.endswith(f"/t/{out.ticket.code}.png")
    assert client.get(f"/t/{out.ticket.code}").status_code == 200
    status = client.get(f"{API}/tickets/{out.ticket.code}")
    assert status.status_code == 200
    assert TicketStatus.model_validate(status.get_json()).status == "confirmed"
    assert registration_count(event) == 1


def test_registration_beyond_capacity_is_waitlisted(client, make_event, organizer):
    from eventhub.api.schemas import RegistrationOut

    event = make_event(organizer=organizer, capacity=1)
    assert post_registration(client, event, body(email="one@example.org")).get_json()["status"] == "confirmed"
    out = RegistrationOut.model_validate(post_registration(client, event, body(email="two@example.org")).get_json())
    assert out.status == "waitlisted" and out.waitlist_position == 1


@pytest.mark.parametrize("bad,fields", [
    ({"name": 123}, {"name"}),
    ({"consent": "yes"}, {"consent"}),
    ({"mode": "car"}, {"mode"}),
    ({"country": 5}, {"country"}),
    ({"name": 123, "consent": "yes", "mode": "car", "country": 5}, {"name", "consent", "mode", "country"}),
    ({"email": ["a@example.org"]}, {"email"}),
    ({"name": None}, {"name"}),
    ({"name": ""}, {"name"}),
    ({"name": "x" * 10_240}, {"name"}),
    ({"organization": "x" * 201}, {"organization"}),
    ({"country": "MLI"}, {"country"}),
    ({"locale": "de"}, {"locale"}),
    ({"consent": 1}, {"consent"}),
])
def test_registration_with_wrong_types(client, event, bad, fields):
    assert_error(post_registration(client, event, body(**bad)), 422, "validation_failed", fields)
    assert registration_count() == 0


@pytest.mark.parametrize("bad,fields", [
    ({"email": "not-an-email"}, {"email"}),
    ({"email": "aminata@example"}, {"email"}),
    ({"email": "a@example.org\r\nBcc: x@example.org"}, {"email"}),
    ({"country": "XX"}, {"country"}),
    ({"country": "ZZ"}, {"country"}),
    ({"name": "   "}, {"name"}),
])
def test_registration_with_invalid_values(client, event, bad, fields):
    error = assert_error(post_registration(client, event, body(**bad)), 422, "invalid_registration", fields)
    assert error["code"] == "invalid_registration"
    assert registration_count() == 0


def test_registration_with_missing_fields(client, event):
    error = assert_error(post_registration(client, event, {}), 422, "validation_failed",
                         {"name", "email", "country", "mode"})
    assert "organization" not in error["fields"] and "job_title" not in error["fields"]
    assert_error(post_registration(client, event, {"name": "Aminata"}), 422, "validation_failed",
                 {"email", "country", "mode"})
    assert registration_count() == 0


def test_registration_with_extra_fields(client, event):
    assert_error(post_registration(client, event, body(status="confirmed", is_admin=True)), 422,
                 "validation_failed", {"status", "is_admin"})
    assert registration_count() == 0


@pytest.mark.parametrize("raw,content_type", [
    ("name=Aminata&email=a@example.org", "application/x-www-form-urlencoded"),
    ("this is not json", "text/plain"),
    ("{\"name\": \"Aminata\",", "application/json"),
    ("", "application/json"),
    ("null", "application/json"),
    ("\"a string\"", "application/json"),
    ("42", "application/json"),
])
def test_registration_with_a_body_that_is_not_a_json_object(client, event, raw, content_type):
    response = client.post(f"{API}/events/{event.id}/registrations", data=raw, content_type=content_type)
    assert_error(response, 422, "invalid_body", {"_body"})
    assert registration_count() == 0


def test_registration_with_a_json_array_body(client, event):
    response = client.post(f"{API}/events/{event.id}/registrations", json=[body()])
    assert_error(response, 422, "invalid_body", {"_body"})
    assert registration_count() == 0


def test_duplicate_registration_is_a_conflict(client, event):
    assert post_registration(client, event).status_code == 201
    for email in ("aminata@example.org", "AMINATA@Example.ORG"):
        error = assert_error(post_registration(client, event, body(email=email)), 409, "already_registered")
        assert "email" in error.get("fields", {})
    assert registration_count(event) == 1


def test_public_registration_requires_consent(client, event):
    assert_error(post_registration(client, event, body(consent=False)), 422, "invalid_registration", {"consent"})
    payload = body()
    del payload["consent"]
    assert_error(post_registration(client, event, payload), 422, "invalid_registration", {"consent"})
    assert registration_count() == 0


def test_organizer_token_registration_does_not_need_consent(client, event, token):
    from eventhub.extensions import db
    from eventhub.registration.models import Registration

    payload = body()
    del payload["consent"]
    response = post_registration(client, event, payload, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    registration = db.session.get(Registration, response.get_json()["id"])
    assert registration.consent_at is None and registration.source == "api"


def test_another_events_token_does_not_lift_the_consent_rule(client, event, make_event, organizer):
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    other = make_event(organizer=organizer)
    _r, other_token = create_api_token(other, organizer, "other")
    commit()
    response = post_registration(client, event, body(consent=False), headers=bearer(other_token))
    assert_error(response, 422, "invalid_registration", {"consent"})


def test_registration_for_a_cancelled_event(client, event):
    from eventhub.core.db import commit
    from eventhub.events.services import cancel_event

    cancel_event(event)
    commit()
    assert_error(post_registration(client, event), 409, "event_cancelled")
    assert registration_count() == 0


def test_remote_registration_when_not_offered(client, make_event, organizer):
    event = make_event(organizer=organizer, remote_enabled=False)
    assert_error(post_registration(client, event, body(mode="remote")), 422, "remote_not_offered", {"mode"})


# --- PATCH event ----------------------------------------------------------------------------------------------

def test_patch_event_valid(client, event, token):
    from eventhub.api.schemas import EventOut

    moved_start = event.starts_at + timedelta(days=1)
    new_start, new_end = moved_start.isoformat(), (event.ends_at + timedelta(days=1)).isoformat()
    response = client.patch(f"{API}/events/{event.id}", headers=bearer(token), json={
        "title": "Nouveau titre", "capacity": 250, "starts_at": new_start, "ends_at": new_end,
        "languages": ["fr", "ar"], "remote_capacity": 40})
    assert response.status_code == 200, response.get_data(as_text=True)
    out = EventOut.model_validate(response.get_json())
    assert (out.title, out.capacity, out.languages, out.remote_capacity) == ("Nouveau titre", 250, ["fr", "ar"], 40)
    assert out.starts_at == moved_start and out.slug == event.slug
    assert client.get(f"{API}/events/{event.id}").get_json()["title"] == "Nouveau titre"


def test_patch_event_ends_before_start(client, event, token):
    before = client.get(f"{API}/events/{event.id}").get_json()
    response = client.patch(f"{API}/events/{event.id}", headers=bearer(token),
                            json={"ends_at": (event.starts_at - timedelta(hours=1)).isoformat()})
    assert_error(response, 422, "invalid_event", {"ends_at"})
    assert client.get(f"{API}/events/{event.id}").get_json() == before


@pytest.mark.parametrize("patch,fields", [
    ({"capacity": -1}, {"capacity"}),
    ({"capacity": "100"}, {"capacity"}),
    ({"title": "x" * 201}, {"title"}),
    ({"starts_at": "2030-01-01T10:00:00"}, {"starts_at"}),  # no offset
    ({"starts_at": "demain"}, {"starts_at"}),
    ({"languages": []}, {"languages"}),
    ({"languages": ["de"]}, {"languages.0"}),
    ({"remote_enabled": "no"}, {"remote_enabled"}),
    ({"slug": "hijack"}, {"slug"}),
    ({"status": "published"}, {"status"}),
])
def test_patch_event_invalid_shapes(client, event, token, patch, fields):
    assert_error(client.patch(f"{API}/events/{event.id}", headers=bearer(token), json=patch), 422,
                 "validation_failed", fields)


def test_patch_event_unknown_time_zone(client, event, token):
    assert_error(client.patch(f"{API}/events/{event.id}", headers=bearer(token), json={"timezone": "Mars/Olympus"}),
                 422, "invalid_event", {"timezone"})


def test_patch_event_non_object_body(client, event, token):
    response = client.patch(f"{API}/events/{event.id}", headers=bearer(token), data="[]",
                            content_type="application/json")
    assert_error(response, 422, "invalid_body", {"_body"})


def test_patch_capacity_below_confirmed_count(client, event, token):
    for n in range(3):
        assert post_registration(client, event, body(email=f"p{n}@example.org")).status_code == 201
    assert_error(client.patch(f"{API}/events/{event.id}", headers=bearer(token), json={"capacity": 2}),
                 422, "invalid_event", {"capacity"})
    assert client.get(f"{API}/events/{event.id}").get_json()["capacity"] == 100
    response = client.patch(f"{API}/events/{event.id}", headers=bearer(token), json={"capacity": 3})
    assert response.status_code == 200 and response.get_json()["seats_left"] == 0


def test_patch_raising_capacity_promotes_the_waitlist(client, make_event, organizer):
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    event = make_event(organizer=organizer, capacity=1)
    _r, token = create_api_token(event, organizer, "t")
    commit()
    post_registration(client, event, body(email="one@example.org"))
    waiting = post_registration(client, event, body(email="two@example.org")).get_json()
    assert waiting["status"] == "waitlisted"
    assert client.patch(f"{API}/events/{event.id}", headers=bearer(token), json={"capacity": 2}).status_code == 200
    again = client.get(f"{API}/events/{event.id}/registrations/{waiting['id']}", headers=bearer(token)).get_json()
    assert again["status"] == "confirmed"


# --- registrations with a token -------------------------------------------------------------------------------

def test_list_and_filter_registrations(client, event, token):
    from eventhub.api.schemas import RegistrationPage

    post_registration(client, event, body(email="a@example.org", country="ML"))
    post_registration(client, event, body(email="b@example.org", country="SN", mode="remote", name="Moussa"))
    page = RegistrationPage.model_validate(
        client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).get_json())
    assert page.total == 2 and len(page.items) == 2
    sn = client.get(f"{API}/events/{event.id}/registrations?country=sn", headers=bearer(token)).get_json()
    assert [r["email"] for r in sn["items"]] == ["b@example.org"]
    odd = client.get(f"{API}/events/{event.id}/registrations?limit=abc&offset=-5&mode=car", headers=bearer(token))
    assert odd.status_code == 200 and odd.get_json()["offset"] == 0 and odd.get_json()["total"] == 2


def test_cancel_and_revoke_through_the_api(client, event, token):
    reg = post_registration(client, event).get_json()
    code = reg["ticket"]["code"]
    revoked = client.post(f"{API}/events/{event.id}/registrations/{reg['id']}/revoke-ticket", headers=bearer(token))
    assert revoked.status_code == 200 and revoked.get_json()["ticket"] is None
    assert client.get(f"/t/{code}").status_code == 410
    assert_error(client.post(f"{API}/events/{event.id}/registrations/{reg['id']}/revoke-ticket",
                             headers=bearer(token)), 409, "no_ticket")
    cancelled = client.post(f"{API}/events/{event.id}/registrations/{reg['id']}/cancel", headers=bearer(token))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert_error(client.post(f"{API}/events/{event.id}/registrations/{reg['id']}/cancel", headers=bearer(token)),
                 409, "already_cancelled")
    assert_error(client.get(f"{API}/events/{event.id}/registrations/999999", headers=bearer(token)), 404,
                 "registration_not_found")


# --- tickets and the public key -------------------------------------------------------------------------------

def test_ticket_status_valid_forged_revoked(client, event, make_event, organizer):
    from eventhub.api.schemas import TicketStatus
    from eventhub.core.db import commit
    from eventhub.extensions import db
    from eventhub.registration.models import Registration
    from eventhub.registration.services import revoke_ticket
    from eventhub.tickets import codes

    reg = post_registration(client, event).get_json()
    code = reg["ticket"]["code"]
    ok = client.get(f"{API}/tickets/{code}")
    assert ok.status_code == 200
    status = TicketStatus.model_validate(ok.get_json())
    assert (status.event_id, status.status, status.mode, status.revoked) == (event.id, "confirmed", "in_person", False)
    assert client.get(f"{API}/tickets/{code.lower()}").status_code == 200

    other = make_event(organizer=organizer)
    forged_codes = [
        codes.encode(event.id, codes.parse(code).secret, other.signing_key),  # signed with another event's key
        code[:60] + ("A" if code[60] != "A" else "B") + code[61:],  # one signature character changed
        code[:-1],
        "A" * 122,
        "not-a-ticket",
    ]
    for forged in forged_codes:
        error = assert_error(client.get(f"{API}/tickets/{forged}"), 404, "ticket_not_found")
        text = str(error).lower()
        assert "forged" not in text and "signature" not in text and "unreadable" not in text

    revoke_ticket(db.session.get(Registration, reg["id"]))
    commit()
    revoked = client.get(f"{API}/tickets/{code}")
    assert revoked.status_code == 200
    assert TicketStatus.model_validate(revoked.get_json()).revoked is True


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_public_key_verifies_a_real_ticket(client, event, make_event, organizer):
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from eventhub.api.schemas import PublicKey
    from eventhub.tickets import codes

    code = post_registration(client, event).get_json()["ticket"]["code"]
    response = client.get(f"{API}/events/{event.id}/public-key")
    assert response.status_code == 200
    out = PublicKey.model_validate(response.get_json())
    assert out.event_id == event.id and out.algorithm == "Ed25519" and out.code_version == codes.VERSION
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", out.public_key)
    raw = _b64url(out.public_key)
    assert len(raw) == 32
    key = Ed25519PublicKey.from_public_bytes(raw)
    payload = codes.parse(code)
    assert payload.event_id == event.id
    key.verify(payload.signature, payload.signed_part)  # raises if the key does not match
    # The private key is nowhere in the answer, and another event's ticket does not verify with this key.
    assert base64.urlsafe_b64encode(event.signing_key).decode().rstrip("=") not in response.get_data(as_text=True)
    other = make_event(organizer=organizer)
    stranger = codes.parse(codes.encode(event.id, payload.secret, other.signing_key))
    with pytest.raises(InvalidSignature):
        key.verify(stranger.signature, stranger.signed_part)
    assert_error(client.get(f"{API}/events/999999/public-key"), 404, "event_not_found")


# --- the OpenAPI document -------------------------------------------------------------------------------------

def _templated(rule: str) -> str:
    return re.sub(r"<(?:[a-z_]+:)?([a-z_]+)>", r"{\1}", rule)


def test_openapi_document_is_valid_and_complete(app, client):
    from openapi_spec_validator import validate

    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    validate(spec)
    assert spec["servers"] == [{"url": API}]
    documented = {(path, method.upper()) for path, item in spec["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(API + "/"):
            for method in rule.methods - {"HEAD", "OPTIONS"}:
                served.add((_templated(rule.rule[len(API):]), method))
    missing = served - documented
    assert not missing, f"routes missing from the OpenAPI document: {sorted(missing)}"
    extra = documented - served
    assert not extra, f"the OpenAPI document describes routes that do not exist: {sorted(extra)}"


def test_openapi_marks_token_routes_as_secured(app, client):
    spec = client.get(f"{API}/openapi.json").get_json()
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not rule.rule.startswith(API + "/") or not getattr(view, "token_required", False):
            continue
        path = _templated(rule.rule[len(API):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = spec["paths"][path][method.lower()]
            assert operation.get("security") == [{"bearerAuth": []}], (path, method)
            assert "401" in operation["responses"] and "403" in operation["responses"], (path, method)


# --- rate limits ----------------------------------------------------------------------------------------------

def test_public_registrations_are_rate_limited(client, event):
    for n in range(30):
        response = post_registration(client, event, body(email=f"person{n}@example.org"))
        assert response.status_code == 201, (n, response.get_data(as_text=True)[:300])
    response = post_registration(client, event, body(email="person30@example.org"))
    assert_error(response, 429, "rate_limited")
    assert registration_count(event) == 30


def test_invalid_requests_count_against_the_rate_limit(client, event):
    for _n in range(30):
        assert post_registration(client, event, {}).status_code == 422
    assert_error(post_registration(client, event), 429, "rate_limited")
    assert registration_count() == 0


def test_organizer_token_is_not_rate_limited_like_the_public(client, event, token):
    for n in range(35):
        response = post_registration(client, event, body(email=f"bulk{n}@example.org"), headers=bearer(token))
        assert response.status_code == 201, n
    assert registration_count(event) == 35


def test_invalid_token_does_not_escape_the_rate_limit(client, event):
    for n in range(30):
        response = post_registration(client, event, body(email=f"x{n}@example.org"), headers=bearer("eh_bogus"))
        assert response.status_code == 201, n
    assert_error(post_registration(client, event, body(email="x30@example.org"), headers=bearer("eh_bogus")),
                 429, "rate_limited")
