"""Arabic as an interface language: an event's default language and date region, the language a registration
keeps for every mail to that person (whoever acts), and the `ltr` isolation filter."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import render_template_string

from eventhub.core.db import commit
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.registration import services
from eventhub.registration.models import Registration, RegistrationStatus
from tests.conftest import ROOT, registration_form

AR_DZ = "ar-DZ,ar;q=0.9"


@pytest.fixture(scope="module")
def ar_catalog() -> Catalog:
    with (ROOT / "eventhub" / "translations" / "ar" / "LC_MESSAGES" / "messages.po").open("rb") as f:
        return read_po(f, locale="ar")


def arabic(catalog: Catalog, msgid: str, **values: object) -> str:
    """The Arabic catalogue's translation of `msgid` (it must have one: else this test proves nothing)."""
    message = catalog.get(msgid)
    assert message is not None and message.string, f"no Arabic translation of {msgid!r}"
    return str(message.string) % values if values else str(message.string)


def _html_lang_dir(html: str) -> tuple[str, str]:
    match = re.search(r'<html lang="([^"]+)" dir="([^"]+)"', html)
    assert match, html[:300]
    return match.group(1), match.group(2)


def _mails(email: str) -> list[MailMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(MailMessage).where(MailMessage.recipient == email)
                                   .order_by(MailMessage.id)))


# --- an event's default language ------------------------------------------------------------------------------

def test_event_default_language_beats_the_browser_but_not_a_choice(client, make_event):
    event = make_event(default_locale="ar")
    page = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr"})
    assert page.status_code == 200
    assert _html_lang_dir(page.get_data(as_text=True)) == ("ar", "rtl")
    # Its registration form too (same slug), while a page of no event follows the browser.
    form = client.get(f"/e/{event.slug}/register", headers={"Accept-Language": "fr"})
    assert _html_lang_dir(form.get_data(as_text=True)) == ("ar", "rtl")
    assert _html_lang_dir(client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)) == (
        "fr", "ltr")
    client.post("/lang", data={"lang": "en", "next": "/"})
    chosen = client.get(f"/e/{event.slug}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert _html_lang_dir(chosen) == ("en", "ltr")


def test_event_without_default_follows_the_browser(client, make_event):
    event = make_event()
    html = client.get(f"/e/{event.slug}", headers={"Accept-Language": AR_DZ}).get_data(as_text=True)
    assert _html_lang_dir(html) == ("ar", "rtl")


def test_region_month_names_with_a_january_event(client, make_event):
    """The event's region sets how dates are written: January is جانفي in Algeria, يناير in plain Arabic."""
    year = datetime.now(UTC).year + 1
    starts = datetime(year, 1, 12, 9, tzinfo=UTC)
    algeria = make_event(title="Janvier DZ", default_locale="ar_DZ", starts_at=starts,
                         ends_at=starts + timedelta(hours=4))
    plain = make_event(title="Janvier AR", default_locale="ar", starts_at=starts, ends_at=starts + timedelta(hours=4))
    html_dz = client.get(f"/e/{algeria.slug}").get_data(as_text=True)
    html_ar = client.get(f"/e/{plain.slug}").get_data(as_text=True)
    assert "جانفي" in html_dz and "يناير" not in html_dz
    assert "يناير" in html_ar and "جانفي" not in html_ar


def test_organizer_sets_the_default_language(client, make_user, make_event, login):
    organizer = make_user()
    event = make_event(organizer=organizer)
    login(organizer)
    form = client.get(f"/manage/events/{event.id}/edit").get_data(as_text=True)
    assert re.search(r'<option value="ar_DZ">العربية \(الجزائر\)</option>', form)
    values = {"title": event.title, "timezone": event.timezone, "capacity": "100", "languages": ["fr", "ar"],
              "starts_at": "2031-03-02T09:00", "ends_at": "2031-03-02T17:00", "remote_enabled": "y"}
    bad = client.post(f"/manage/events/{event.id}/edit", data={**values, "default_locale": "de"})
    assert bad.status_code == 422
    ok = client.post(f"/manage/events/{event.id}/edit", data={**values, "default_locale": "fr_ML"})
    assert ok.status_code == 302, ok.get_data(as_text=True)[:500]
    db.session.expire_all()
    assert db.session.get(Event, event.id).default_locale == "fr_ML"
    cleared = client.post(f"/manage/events/{event.id}/edit", data={**values, "default_locale": ""})
    assert cleared.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).default_locale is None


# --- a registration keeps its language ------------------------------------------------------------------------

def _register(client, event: Event, email: str, accept: str) -> Registration:
    response = client.post(f"/e/{event.slug}/register", data=registration_form(email=email, name=f"N {email}"),
                           headers={"Accept-Language": accept})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return db.session.scalars(db.select(Registration).where(Registration.email == email)).one()


def test_arabic_registrant_gets_every_mail_in_arabic_whoever_acts(app, make_user, make_event, ar_catalog):
    organizer = make_user()
    organizer.locale = "fr"  # a French-speaking organizer does the cancelling
    commit()
    event = make_event(organizer=organizer, capacity=1)
    visitor = app.test_client()
    first = _register(visitor, event, "first-fr@example.org", "fr")
    waiting = _register(app.test_client(), event, "waiting-ar@example.org", AR_DZ)
    assert (first.locale, waiting.locale) == ("fr", "ar")
    assert waiting.status == RegistrationStatus.WAITLISTED

    staff = app.test_client()
    assert staff.post("/login", data={"email": organizer.email, "password": "correct horse battery"}
                      ).status_code == 302
    # The organizer's French action frees the seat: the promotion mail to the Arabic registrant is Arabic.
    assert staff.post(f"/manage/events/{event.id}/registrations/{first.id}/cancel").status_code == 302
    title = event.title
    fr_cancelled = _mails(first.email)[-1]  # (the outbox folds the no-break space of French typography)
    assert fr_cancelled.kind == "cancelled" and fr_cancelled.subject.startswith("Inscription annulée")
    ar_mails = _mails(waiting.email)
    assert [m.kind for m in ar_mails] == ["waitlisted", "promoted"]
    assert ar_mails[0].subject == arabic(ar_catalog, "Waiting list: %(title)s", title=title)
    assert ar_mails[1].subject == arabic(ar_catalog, "A seat is yours: %(title)s", title=title)
    hello = arabic(ar_catalog, "Hello %(name)s,", name=waiting.name)
    assert hello in ar_mails[1].body_text
    assert ar_mails[1].body_html and 'lang="ar" dir="rtl"' in ar_mails[1].body_html

    # Then the organizer cancels the Arabic registration itself: Arabic again.
    assert staff.post(f"/manage/events/{event.id}/registrations/{waiting.id}/cancel").status_code == 302
    cancelled = _mails(waiting.email)[-1]
    assert cancelled.kind == "cancelled"
    assert cancelled.subject == arabic(ar_catalog, "Registration cancelled: %(title)s", title=title)
    assert hello in cancelled.body_text
    assert "/t/" not in cancelled.body_text  # a cancelled registration's mail holds no ticket link


def test_arabic_confirmation_mail(app, make_event, ar_catalog):
    event = make_event()
    registration = _register(app.test_client(), event, "direct-ar@example.org", AR_DZ)
    (mail,) = _mails(registration.email)
    assert (mail.kind, mail.subject) == ("confirmation", arabic(ar_catalog, "Your ticket: %(title)s",
                                                                 title=event.title))
    assert mail.body_html and f"<bdi dir=\"ltr\">{registration.ticket.backup_code[:4]}" in mail.body_html


def test_api_registration_keeps_arabic(app, make_event):
    event = make_event()
    result = services.register(event, services.RegistrationData(
        name="ع", email="api-ar@example.org", country="DZ", mode="in_person", consent=True, locale="ar"))
    commit()
    assert result.registration.locale == "ar"
    unknown = services.register(event, services.RegistrationData(
        name="x", email="api-xx@example.org", country="DZ", mode="in_person", consent=True, locale="de"))
    commit()
    assert unknown.registration.locale == "fr"


# --- isolation of left-to-right runs --------------------------------------------------------------------------

def test_ltr_filter_isolates_and_escapes(app):
    with app.test_request_context("/"):
        out = render_template_string("{{ code|ltr }}", code="AB<CD>-23")
    assert out == '<bdi dir="ltr">AB&lt;CD&gt;-23</bdi>'


def test_numbers_follow_the_language_and_region(client, make_event):
    algeria = make_event(title="Grande salle DZ", capacity=1234, default_locale="ar_DZ")
    french = make_event(title="Grande salle FR", capacity=1234)
    assert "<dd>1.234</dd>" in client.get(f"/e/{algeria.slug}").get_data(as_text=True)
    assert "<dd>1\u202f234</dd>" in client.get(f"/e/{french.slug}", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
