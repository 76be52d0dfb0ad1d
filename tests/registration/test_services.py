"""Registration rules, called the way routes, the API and the CLI call them."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
import zxingcpp
from PIL import Image

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.registration import services
from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus
from eventhub.tickets import codes, qr
from tests.conftest import future
from tests.helpers import QueryCounter, round_table_sessions


def person(n: int, mode: str = "in_person", **kw) -> services.RegistrationData:
    values = dict(name=f"Participant {n}", email=f"p{n}@example.org", country="ML", mode=mode, consent=True)
    values.update(kw)
    return services.RegistrationData(**values)


def register(event, data, **kw):
    result = services.register(event, data, **kw)
    commit()
    return result


def test_confirms_until_full_then_waitlists_in_order(make_event):
    event = make_event(capacity=2)
    results = [register(event, person(i)) for i in range(5)]
    assert [r.registration.status for r in results] == [RegistrationStatus.CONFIRMED] * 2 + [
        RegistrationStatus.WAITLISTED] * 3
    assert [r.waitlist_position for r in results] == [None, None, 1, 2, 3]
    db.session.refresh(event)
    assert event.confirmed_in_person == 2 and event.seats_left == 0


def test_cancellation_promotes_next_and_emails_them(make_event):
    event = make_event(capacity=1)
    first = register(event, person(1)).registration
    second = register(event, person(2)).registration
    third = register(event, person(3)).registration
    promoted = services.cancel_registration(first)
    commit()
    assert promoted == [second]
    assert second.status == RegistrationStatus.CONFIRMED
    assert services.waitlist_position(third) == 1
    kinds = [m.kind for m in db.session.scalars(
        db.select(MailMessage).where(MailMessage.recipient == second.email).order_by(MailMessage.id))]
    assert kinds == ["waitlisted", "promoted"]
    # The cancelled person's ticket no longer works.
    assert first.ticket is None


def test_cancelling_a_waitlisted_person_promotes_nobody(make_event):
    event = make_event(capacity=1)
    register(event, person(1))
    waiting = register(event, person(2)).registration
    assert services.cancel_registration(waiting) == []
    commit()
    db.session.refresh(event)
    assert event.confirmed_in_person == 1


def test_raising_capacity_promotes_from_waitlist(make_event):
    from eventhub.events.services import event_data_of, update_event

    event = make_event(capacity=1)
    regs = [register(event, person(i)).registration for i in range(4)]
    data = event_data_of(event)
    data.capacity = 3
    update_event(event, data)
    commit()
    assert [r.status for r in regs] == [RegistrationStatus.CONFIRMED] * 3 + [RegistrationStatus.WAITLISTED]


def test_capacity_cannot_drop_below_confirmed(make_event):
    from eventhub.events.services import event_data_of, update_event

    event = make_event(capacity=3)
    for i in range(3):
        register(event, person(i))
    data = event_data_of(event)
    data.capacity = 2
    with pytest.raises(DomainError) as exc:
        update_event(event, data)
    assert "capacity" in exc.value.fields


def test_remote_has_its_own_cap_and_waitlist(make_event):
    event = make_event(capacity=0, remote_capacity=1)
    assert register(event, person(1, "remote")).registration.status == RegistrationStatus.CONFIRMED
    assert register(event, person(2, "remote")).registration.status == RegistrationStatus.WAITLISTED
    assert register(event, person(3)).registration.status == RegistrationStatus.WAITLISTED


def test_remote_refused_when_not_offered(make_event):
    event = make_event(remote_enabled=False)
    with pytest.raises(DomainError) as exc:
        services.register(event, person(1, "remote"))
    assert exc.value.code == "remote_not_offered"


def test_same_email_twice_is_refused_case_insensitively(make_event):
    event = make_event()
    register(event, person(1))
    with pytest.raises(DomainError) as exc:
        services.register(event, person(2, email="P1@Example.org"))
    assert exc.value.code == "already_registered"
    db.session.rollback()
    assert db.session.scalar(db.select(db.func.count()).select_from(Registration)) == 1


def test_can_register_again_after_cancelling(make_event):
    event = make_event()
    first = register(event, person(1)).registration
    services.cancel_registration(first)
    commit()
    again = register(event, person(1)).registration
    assert again.id != first.id and again.status == RegistrationStatus.CONFIRMED


def test_resend_only_mails_registered_addresses(make_event):
    event = make_event()
    register(event, person(1))
    assert services.resend_ticket(event, "P1@example.org") is True
    assert services.resend_ticket(event, "nobody@example.org") is False
    commit()
    assert db.session.scalar(
        db.select(db.func.count()).select_from(MailMessage).where(MailMessage.kind == "ticket")) == 1


def test_registration_window_in_event_zone(make_event):
    opens = future(days=3)
    event = make_event(registration_opens_at=opens, registration_closes_at=opens + timedelta(days=1))
    with time_machine.travel(opens - timedelta(minutes=1)):
        with pytest.raises(DomainError) as exc:
            services.register(event, person(1))
        assert exc.value.code == "registration_not_open"
    with time_machine.travel(opens + timedelta(minutes=1)):
        assert services.register(event, person(1)).registration.status == RegistrationStatus.CONFIRMED
    db.session.rollback()
    with time_machine.travel(opens + timedelta(days=1, seconds=1)):
        with pytest.raises(DomainError) as exc:
            services.register(event, person(2))
        assert exc.value.code == "registration_closed"


def test_cancelled_event_refuses_registration(make_event):
    from eventhub.events.services import cancel_event

    event = make_event()
    cancel_event(event)
    commit()
    with pytest.raises(DomainError) as exc:
        services.register(event, person(1))
    assert exc.value.code == "event_cancelled"


def test_confirmation_mail_has_ticket_link_and_scannable_qr(make_event):
    event = make_event()
    registration = register(event, person(1, name="يوسف بن علي", locale="fr")).registration
    mail = db.session.scalars(db.select(MailMessage).where(MailMessage.recipient == registration.email)).one()
    assert mail.kind == "confirmation" and mail.status == "outbox"
    assert registration.ticket.code in mail.body_text
    assert "يوسف بن علي" in mail.body_text and "يوسف بن علي" in (mail.body_html or "")
    (attachment,) = mail.attachments
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(attachment.data)))
    assert [d.text for d in decoded] == [registration.ticket.code]


def test_ticket_code_has_no_personal_data_and_small_qr(make_event):
    event = make_event()
    registration = register(event, person(7, name="Aminata Traoré")).registration
    code = registration.ticket.code
    payload = codes.parse(code)
    assert payload.event_id == event.id
    assert payload.secret == registration.ticket.secret
    raw = code.encode()
    for value in (b"Aminata", b"p7@example.org", str(registration.id).encode() + b"@"):
        assert value not in raw
    assert qr.qr_version(code) <= 5
    codes.verify(payload, codes.public_key_bytes(event.signing_key))


def test_ticket_svg_decodes(make_event):
    """The inline SVG on the ticket page, rasterised, decodes to the code (independent decoder)."""
    event = make_event()
    code = register(event, person(1)).registration.ticket.code
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.png(code, box_size=4))))
    assert decoded[0].text == code


def test_find_ticket_names_every_failure(make_event):
    event = make_event()
    other = make_event()
    registration = register(event, person(1)).registration
    code = registration.ticket.code
    assert services.find_ticket(code.lower()).id == registration.ticket.id

    def reason(value: str) -> str:
        with pytest.raises(services.TicketLookupError) as exc:
            services.find_ticket(value)
        return exc.value.code

    assert reason("") == "unreadable"
    assert reason("x" * 10_000) == "unreadable"
    assert reason(code[:-1]) == "unreadable"
    tampered = code[:-5] + ("A" if code[-5] != "A" else "B") + code[-4:]
    assert reason(tampered) in ("forged", "unreadable")
    # Signed with another event's key while claiming this event.
    payload = codes.parse(code)
    assert reason(codes.encode(event.id, payload.secret, other.signing_key)) == "forged"
    # Genuinely signed by the event but unknown secret (e.g. a deleted registration).
    assert reason(codes.encode(event.id, codes.new_secret(), event.signing_key)) == "unknown"


def test_revoke_and_reissue(make_event):
    event = make_event()
    registration = register(event, person(1)).registration
    old = registration.ticket.code
    services.reissue_ticket(registration)
    commit()
    assert registration.ticket.code != old
    assert services.find_ticket(old).revoked_at is not None
    services.revoke_ticket(registration)
    commit()
    assert registration.ticket is None
    with pytest.raises(DomainError):
        services.revoke_ticket(registration)


def test_search_and_counts(make_event):
    event = make_event(capacity=1)
    register(event, person(1, name="Aminata Traoré", organization="Orange Mali"))
    register(event, person(2, name="Karim Benali", country="DZ", mode="remote"))
    register(event, person(3, name="Moussa Keïta"))
    rows, total = services.search_registrations(event, services.RegistrationFilter(q="orange"))
    assert total == 1 and rows[0].name == "Aminata Traoré"
    rows, total = services.search_registrations(event, services.RegistrationFilter(country="DZ", mode="remote"))
    assert [r.name for r in rows] == ["Karim Benali"]
    rows, total = services.search_registrations(event, services.RegistrationFilter(status="waitlisted"))
    assert [r.name for r in rows] == ["Moussa Keïta"]
    assert services.counts(event)["confirmed_in_person"] == 1


def test_counter_never_exceeds_capacity_at_the_database(make_event):
    """The CHECK constraint is the last line of defence behind the service."""
    from sqlalchemy.exc import IntegrityError

    from eventhub.events.models import Event

    event = make_event(capacity=1)
    with pytest.raises(IntegrityError):
        db.session.execute(db.update(Event).where(Event.id == event.id).values(confirmed_in_person=2))
        db.session.flush()
    db.session.rollback()


def test_mode_enum_values_are_stable():
    # Stored values appear in the API and CSV exports.
    assert [m.value for m in AttendanceMode] == ["in_person", "remote"]


def test_waitlist_positions_in_one_query_match_one_by_one(make_event):
    event = make_event(capacity=1, remote_capacity=1)
    regs = [register(event, person(i, "remote" if i % 2 else "in_person")).registration for i in range(7)]
    positions = services.waitlist_positions(event)
    assert positions == {r.id: services.waitlist_position(r) for r in regs
                         if r.status == RegistrationStatus.WAITLISTED}
    assert sorted(positions.values()) == [1, 1, 2, 2, 3]


def test_promotions_read_the_schedule_once_not_once_per_person(make_event):
    """Promoting holds the event row's lock from the first seat claimed: each promoted person's mail shows their
    journey, read once before the loop, not once per person under the lock."""
    event = make_event(capacity=1)
    round_table_sessions(event)  # published: each mail shows the person's journey
    for i in range(5):
        register(event, person(i))
    event.capacity = 4
    commit()
    with QueryCounter() as counter:
        promoted = services.fill_from_waitlist(event)
    commit()
    assert len(promoted) == 3
    sessions_read = [s for s in counter.statements if "FROM agenda_sessions" in s]
    assert len(sessions_read) <= 1, sessions_read
