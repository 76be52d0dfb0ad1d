"""The emails a registrant receives: confirmation, waitlist, promotion, ticket re-sent."""

from __future__ import annotations

from dataclasses import dataclass

from flask import render_template
from flask_babel import gettext as _

from eventhub.core.timefmt import format_in_zone, zone_label
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.mail.models import MailMessage
from eventhub.mail.services import Attachment, queue_mail
from eventhub.registration.journey import Schedule, journey
from eventhub.registration.models import Registration
from eventhub.tickets import qr

# Stands for the waiting-list position in a mail composed before the seat claim decides it (a number: the
# templates format it with %d); `RegistrationMail.queue` writes the real one in.
POSITION_MARK = 7302958164523


def _region(event: Event) -> str | None:
    """The region the event writes dates in (ar_DZ → DZ), for a mail rendered outside its pages."""
    parts = (event.default_locale or "").split("_")
    return parts[1] if len(parts) == 2 else None


@dataclass
class RegistrationMail:
    kind: str
    to: str
    subject: str
    text: str
    html: str
    attachments: list[Attachment]
    event_id: int

    def queue(self, position: int | None = None, *, keep_mark: bool = False) -> MailMessage:
        """Into the outbox with `position` written in; `keep_mark`: with POSITION_MARK left for the seat claim to
        replace (eventhub.registration.seats.settle)."""
        mark, told = str(POSITION_MARK), str(position or 0)
        text, html = (self.text, self.html) if keep_mark else (self.text.replace(mark, told),
                                                               self.html.replace(mark, told))
        return queue_mail(kind=self.kind, to=self.to, subject=self.subject, event_id=self.event_id, text=text,
                          html=html, attachments=self.attachments)


def render_registration_mail(registration: Registration, kind: str, *, position: int | None = None,
                             schedule: Schedule | None = None) -> None:
    """`position`: on the waiting list, given by the registration service (which calls this one, not the reverse);
    `schedule`: journey.schedule_of(event), read by the caller before its seat claim (no query under the lock)."""
    compose_registration_mail(registration, kind, position=position, schedule=schedule).queue(position)


def compose_registration_mail(registration: Registration, kind: str, *, position: int | None = POSITION_MARK,
                              schedule: Schedule | None = None) -> RegistrationMail:
    """The mail, rendered but not queued: the registration service composes it before its seat claim's lock."""
    event = registration.event
    ticket = registration.ticket
    subjects = {
        "confirmation": _("Your ticket: %(title)s", title=event.title),
        "waitlisted": _("Waiting list: %(title)s", title=event.title),
        "promoted": _("A seat is yours: %(title)s", title=event.title),
        "ticket": _("Your ticket (sent again): %(title)s", title=event.title),
        "cancelled": _("Registration cancelled: %(title)s", title=event.title),
    }
    plan = journey(ticket, external=True, schedule=schedule) if ticket else None
    context = {
        "registration": registration, "event": event, "kind": kind,
        "ticket_url": external_url("registration.ticket", code=ticket.code) if ticket else None,
        "when": format_in_zone(event.starts_at, event.timezone, region=_region(event)),
        "position": position,
        "journey": plan,
        "zone_label": zone_label(event.timezone, event.starts_at),
    }
    attachments = []
    # Only a ticket that admits at the door carries the QR code (not a waitlisted or remote one).
    if ticket is not None and plan is not None and plan.admission:
        attachments.append(
            Attachment("ticket.png", "image/png", qr.png(ticket.code, box_size=8), content_id="ticket-qr"))
    return RegistrationMail(
        kind=kind, to=registration.email, subject=subjects[kind], event_id=event.id,
        text=render_template("mail/registration.txt", **context),
        html=render_template("mail/registration.html", **context),
        attachments=attachments,
    )
