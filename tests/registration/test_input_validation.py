"""Bad and hostile input through the HTTP client: the registration form, its window, forged ticket links, CSRF,
duplicates and resend (the event form's: tests/events/test_event_form_input.py)."""

from __future__ import annotations

import csv
import gettext
import io
import re
import secrets
from datetime import UTC, datetime, timedelta
from html import unescape as html_unescape

import pytest

from tests.conftest import ROOT, registration_form
from tests.helpers import event_organizer, field_errors

TEN_KB = "A" * 10_240
LEAKY_WORDS = ("signature", "forged", "traceback", "unreadable", "invalid signature", "ticketcodeerror",
               "exception", "sqlalchemy")
FR_CATALOG = ROOT / "eventhub" / "translations" / "fr" / "LC_MESSAGES" / "messages.mo"


# --- helpers --------------------------------------------------------------------------------------------------

def registrations(event=None) -> list:
    from eventhub.extensions import db
    from eventhub.registration.models import Registration

    db.session.expire_all()
    query = db.select(Registration)
    if event is not None:
        query = query.where(Registration.event_id == event.id)
    return list(db.session.scalars(query))


def mails() -> list:
    from eventhub.extensions import db
    from eventhub.mail.models import MailMessage

    db.session.expire_all()
    return list(db.session.scalars(db.select(MailMessage).order_by(MailMessage.id)))


def register(client, event, **overrides):
    return client.post(f"/e/{event.slug}/register", data=registration_form(**overrides))


def ticket_code_from(response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)[:800]
    location = response.headers["Location"]
    match = re.search(r"/t/([A-Z2-7]+)", location)
    assert match, location
    return match.group(1)


def assert_no_leak(response) -> None:
    body = response.get_data(as_text=True).lower()
    for word in LEAKY_WORDS:
        assert word not in body, f"error page leaks {word!r}"


@pytest.fixture
def event(make_event):
    return make_event()


# --- registration form ----------------------------------------------------------------------------------------

def test_empty_registration_shows_an_error_next_to_each_required_field_in_french(client, event):
    response = client.post(f"/e/{event.slug}/register", data={
        "name": "", "email": "", "organization": "", "job_title": "", "country": "", "mode": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'<html lang="fr"', html), "the default locale is French"
    for name in ("name", "email", "country", "consent"):
        assert field_errors(html, name), f"no error shown next to {name}"
    assert re.search(r'id="name"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="name"', html)
    if FR_CATALOG.exists():
        # Translations compiled: each message is the French one from the catalog, not the English source.
        with FR_CATALOG.open("rb") as fh:
            french = gettext.GNUTranslations(fh)
        for name, source in (("name", "Your name is required."),
                             ("consent", "Please accept the privacy notice to register."),
                             ("country", "Choose a country from the list.")):
            translated = french.gettext(source)
            assert translated != source, f"{source!r} is not translated"
            assert html_unescape(translated) in [html_unescape(e) for e in field_errors(html, name)], name
    assert registrations() == []


def test_ten_kilobyte_name_is_refused_with_a_length_error(client, event):
    response = register(client, event, name=TEN_KB)
    assert response.status_code == 422
    errors = field_errors(response.get_data(as_text=True), "name")
    assert errors and any("200" in e for e in errors), errors
    assert registrations() == []
    assert mails() == []


@pytest.mark.parametrize("field", ["organization", "job_title"])
def test_ten_kilobyte_optional_text_is_refused(client, event, field):
    response = register(client, event, **{field: TEN_KB})
    assert response.status_code == 422
    assert any("200" in e for e in field_errors(response.get_data(as_text=True), field))
    assert registrations() == []


@pytest.mark.parametrize("email", [
    "plainaddress", "@example.org", "aminata@", "aminata@@example.org", "amin ata@example.org",
    "aminata@example", "aminata@exa mple.org", "aminata@example..org", "a" * 250 + "@example.org",
    "aminata@example.org\r\nBcc: everyone@example.org", "<script>@example.org",
])
def test_malformed_email_is_refused(client, event, email):
    response = register(client, event, email=email)
    assert response.status_code == 422, email
    assert field_errors(response.get_data(as_text=True), "email"), email
    assert registrations() == []
    assert mails() == []


@pytest.mark.parametrize("country", ["XX", "ZZ", "", "ml ", "001", "MLI"])
def test_unknown_country_code_is_refused(client, event, country):
    response = register(client, event, country=country)
    assert response.status_code == 422, country
    assert field_errors(response.get_data(as_text=True), "country"), country
    assert registrations() == []


def test_unknown_attendance_mode_is_refused(client, event):
    response = register(client, event, mode="car")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "mode")
    assert registrations() == []


def test_remote_mode_refused_when_the_event_offers_none(client, make_event):
    event = make_event(remote_enabled=False)
    response = register(client, event, mode="remote")
    assert response.status_code == 422
    assert field_errors(response.get_data(as_text=True), "mode")
    assert registrations() == []


def test_html_in_every_text_field_is_stored_as_text_and_rendered_escaped(client, login, event):
    payloads = {
        "name": "<script>alert('name')</script>Aminata",
        "organization": '<img src=x onerror="alert(1)">Orange',
        "job_title": "<script>alert('job')</script></td><b>Boss</b>",
    }
    raw_markers = ["<script>alert", "<img src=x", "<b>Boss</b>", "</td><b>"]
    response = register(client, event, **payloads)
    code = ticket_code_from(response)
    (stored,) = registrations()
    assert stored.name == payloads["name"] and stored.organization == payloads["organization"]
    assert stored.job_title == payloads["job_title"]

    def check(response, *, expect: str = "&lt;script&gt;alert") -> str:
        assert response.status_code == 200
        body = response.get_data(as_text=True)
        for marker in raw_markers:
            assert marker not in body, f"raw {marker!r} in {response.request.path}"
        assert expect in body, response.request.path
        return body

    check(client.get(f"/t/{code}"))
    login(event_organizer(event))
    check(client.get(f"/manage/events/{event.id}/registrations"))
    check(client.get(f"/manage/events/{event.id}/registrations?q=script"))
    outbox = client.get(f"/manage/events/{event.id}/outbox")
    assert outbox.status_code == 200
    for marker in raw_markers:
        assert marker not in outbox.get_data(as_text=True)
    for message in mails():
        check(client.get(f"/manage/events/{event.id}/outbox/{message.id}"))
        assert message.body_html and "<script>alert" not in message.body_html
        assert "<img src=x" not in message.body_html
    # The CSV is data, not a page: values stay verbatim (an HTML-escaped spreadsheet would be wrong), and the
    # response can never be rendered as HTML by a browser.
    export = client.get(f"/manage/events/{event.id}/registrations.csv")
    assert export.status_code == 200
    assert export.mimetype == "text/csv"
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    assert export.headers["Content-Disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert [(r["name"], r["organization"], r["job_title"]) for r in rows] == [
        (payloads["name"], payloads["organization"], payloads["job_title"])]


def test_csv_export_neutralises_spreadsheet_formulas(client, login, event):
    ticket_code_from(register(client, event, name="=HYPERLINK(\"http://evil.example\")", organization="+1+1",
                              job_title="@SUM(A1)"))
    login(event_organizer(event))
    rows = list(csv.DictReader(io.StringIO(
        client.get(f"/manage/events/{event.id}/registrations.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0]["name"].startswith("'=") and rows[0]["organization"] == "'+1+1"
    assert rows[0]["job_title"] == "'@SUM(A1)"


# --- registration window and event state ----------------------------------------------------------------------

def test_registration_before_the_window_opens_is_refused(client, make_event):
    event = make_event(registration_opens_at=datetime.now(UTC) + timedelta(days=3))
    response = register(client, event)
    assert response.status_code == 422, response.status_code
    assert "/t/" not in response.headers.get("Location", "")
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert registrations() == []
    assert mails() == []


def test_registration_after_the_window_closes_is_refused(client, make_event):
    event = make_event(registration_closes_at=datetime.now(UTC) - timedelta(hours=1))
    response = register(client, event)
    assert response.status_code == 422, response.status_code
    assert "/t/" not in response.headers.get("Location", "")
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert registrations() == []


def test_registration_for_a_cancelled_event_is_refused(client, make_event):
    from eventhub.core.db import commit
    from eventhub.events.services import cancel_event

    event = make_event()
    cancel_event(event)
    commit()
    response = register(client, event)
    assert response.status_code == 422, response.status_code
    assert "/t/" not in response.headers.get("Location", "")
    assert 'class="flash flash-error"' in response.get_data(as_text=True)
    assert registrations() == []
    assert mails() == []


def test_registration_for_a_draft_event_is_not_found(client, make_event):
    event = make_event(publish=False)
    assert client.get(f"/e/{event.slug}/register").status_code == 404
    assert register(client, event).status_code == 404
    assert registrations() == []


# --- forged and damaged ticket links --------------------------------------------------------------------------

B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@pytest.fixture
def real_code(client, event) -> str:
    return ticket_code_from(register(client, event))


def _swap(char: str) -> str:
    return "A" if char != "A" else "B"


def test_random_base32_ticket_is_not_found(client, real_code):
    for _ in range(5):
        code = "".join(secrets.choice(B32) for _ in range(122))
        response = client.get(f"/t/{code}")
        assert response.status_code == 404
        assert_no_leak(response)


def test_truncated_ticket_is_not_found(client, real_code):
    for code in (real_code[:-1], real_code[1:], real_code[:60]):
        response = client.get(f"/t/{code}")
        assert response.status_code == 404
        assert_no_leak(response)


def test_ticket_with_a_changed_signature_character_is_not_found(client, real_code):
    # The signature starts at byte 12, i.e. base32 character 20; the last character carries padding bits.
    for index in (20, 60, 100, 120):
        code = real_code[:index] + _swap(real_code[index]) + real_code[index + 1:]
        response = client.get(f"/t/{code}")
        assert response.status_code == 404, index
        assert_no_leak(response)
    assert client.get(f"/t/{real_code}").status_code == 200


def test_ticket_with_a_changed_secret_character_is_not_found(client, real_code):
    code = real_code[:10] + _swap(real_code[10]) + real_code[11:]
    response = client.get(f"/t/{code}")
    assert response.status_code == 404
    assert_no_leak(response)


def test_ticket_signed_with_another_events_key_is_not_found(client, event, make_event, real_code):
    from eventhub.tickets import codes

    other = make_event(title="Autre événement")
    genuine = codes.parse(real_code)
    # Real secret and this event's id, but signed with the other event's key.
    forged = codes.encode(event.id, genuine.secret, other.signing_key)
    for path in (f"/t/{forged}", f"/t/{forged}.png", f"/t/{forged}.ics"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert_no_leak(response)
    assert client.post(f"/t/{forged}/cancel").status_code == 404
    (registration,) = registrations(event)
    assert registration.status.value == "confirmed"


def test_lowercase_ticket_code_works(client, real_code):
    lower = real_code.lower()
    response = client.get(f"/t/{lower}")
    assert response.status_code == 200
    assert "Aminata" in response.get_data(as_text=True)
    assert client.get(f"/t/{lower}.png").status_code == 200
    assert client.get(f"/t/{lower}.ics").status_code == 200


def test_revoked_ticket_shows_the_no_longer_valid_page(client, event, real_code):
    from eventhub.core.db import commit
    from eventhub.registration.services import revoke_ticket

    (registration,) = registrations(event)
    revoke_ticket(registration)
    commit()
    response = client.get(f"/t/{real_code}")
    assert response.status_code == 410
    assert event.title in response.get_data(as_text=True)
    assert_no_leak(response)
    assert client.get(f"/t/{real_code}.png").status_code == 410
    assert client.post(f"/t/{real_code}/cancel").status_code == 410
    (registration,) = registrations(event)
    assert registration.status.value == "confirmed"


def test_absurdly_long_ticket_link_is_not_found(client, real_code):
    response = client.get("/t/" + "A" * 5000)
    assert response.status_code == 404
    assert_no_leak(response)


# --- CSRF -----------------------------------------------------------------------------------------------------

def test_registration_with_a_wrong_csrf_token_is_refused(csrf_client, event):
    url = f"/e/{event.slug}/register"
    real = csrf_client.csrf_token(url)
    for token in (None, "", "not-a-token", real[:-4] + "abcd"):
        data = registration_form()
        if token is not None:
            data["csrf_token"] = token
        response = csrf_client.post(url, data=data)
        assert response.status_code == 400, token
        assert_no_leak(response)
    assert registrations() == []
    assert mails() == []
    # The same form with the page's own token goes through: the refusals above were the CSRF check.
    response = csrf_client.post(url, data={**registration_form(), "csrf_token": real})
    assert response.status_code == 302
    assert len(registrations()) == 1


def test_csrf_token_from_another_session_is_refused(app, csrf_client, event):
    url = f"/e/{event.slug}/register"
    other = app.test_client()
    html = other.get(url).get_data(as_text=True)
    foreign = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    csrf_client.get(url)
    response = csrf_client.post(url, data={**registration_form(), "csrf_token": foreign})
    assert response.status_code == 400
    assert registrations() == []


# --- duplicates and resend ------------------------------------------------------------------------------------

def test_duplicate_email_is_told_and_offered_a_resend(client, event):
    ticket_code_from(register(client, event, email="aminata@example.org"))
    response = register(client, event, email="  AMINATA@Example.ORG ", name="Aminata bis")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'action="/e/{event.slug}/resend"' in html, "the person is offered to get the ticket again"
    assert re.search(r'name="email" value="[^"]*aminata@example\.org"', html, re.I)
    assert len(registrations(event)) == 1
    # Accepting the offer sends the ticket again.
    before = len(mails())
    response = client.post(f"/e/{event.slug}/resend", data={"email": "AMINATA@example.org"})
    assert response.status_code == 302
    sent = mails()[before:]
    assert [m.kind for m in sent] == ["ticket"] and sent[0].recipient == "aminata@example.org"


def test_email_with_surrounding_spaces_is_accepted(client, event):
    """Phone keyboards add a space after an autocompleted address: it must not block registering."""
    ticket_code_from(register(client, event, email=" aminata@example.org "))
    (stored,) = registrations(event)
    assert stored.email == "aminata@example.org"


def _flashes(client, response) -> tuple[int, str, list[str]]:
    location = response.headers.get("Location", "")
    page = client.get(location).get_data(as_text=True)
    return response.status_code, location, re.findall(r'<p class="flash[^"]*"[^>]*>(.*?)</p>', page, re.S)


def test_resend_gives_the_same_answer_for_unknown_emails(app, client, event):
    ticket_code_from(register(client, event, email="aminata@example.org"))
    before = len(mails())
    known = _flashes(client, client.post(f"/e/{event.slug}/resend", data={"email": "aminata@example.org"}))
    after_known = len(mails())
    stranger = app.test_client()
    unknown = _flashes(stranger, stranger.post(f"/e/{event.slug}/resend", data={"email": "nobody@example.org"}))
    assert known == unknown
    assert known[0] == 302 and known[2], "a confirmation is shown"
    assert after_known == before + 1
    assert len(mails()) == after_known, "nothing is sent to an unknown address"


def test_resend_with_a_malformed_email_sends_nothing(client, event):
    response = client.post(f"/e/{event.slug}/resend", data={"email": "not an email"})
    assert response.status_code == 302
    assert mails() == []
