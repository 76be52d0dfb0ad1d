"""Public registration and ticket pages; the organizer's registration list."""

from __future__ import annotations

import csv
import io

from flask import Blueprint, Response, abort, flash, g, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as IcsEvent

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.core.errors import Conflict, ValidationFailed
from eventhub.core.urls import external_url
from eventhub.core.web import form_errors, perform
from eventhub.events.services import get_public_event
from eventhub.extensions import limiter
from eventhub.registration import remember, services
from eventhub.registration.forms import ManualRegistrationForm, RegistrationForm, ResendForm
from eventhub.registration.journey import journey
from eventhub.registration.models import AttendanceMode, RegistrationStatus
from eventhub.tickets import qr

bp = Blueprint("registration", __name__)

PAGE_SIZE = 50


def _data_from_form(form: RegistrationForm) -> services.RegistrationData:
    return services.RegistrationData(
        name=form.name.data or "", email=form.email.data or "", organization=form.organization.data or "",
        job_title=form.job_title.data or "", country=form.country.data or "", mode=form.mode.data or "",
        consent=bool(form.consent.data), locale=str(get_locale() or "fr"),
        organization_type=form.organization_type.data or "", listed=not form.unlisted.data,
    )


@bp.route("/e/<slug>/register", methods=["GET", "POST"])
@limiter.limit("30 per minute; 300 per hour", methods=["POST"])
def register(slug: str):
    event = get_public_event(slug)
    form = RegistrationForm(remote_enabled=event.remote_enabled)
    already = False
    if form.validate_on_submit():
        with form_errors(form, quiet=("already_registered",), catch=(ValidationFailed, Conflict)) as refused:
            result = services.register(event, _data_from_form(form))
            ticket = result.registration.ticket
            assert ticket is not None  # register() issues the ticket
            return redirect(url_for("registration.ticket", code=ticket.code, new=1))
        already = refused.error is not None and refused.error.code == "already_registered"
    status = 422 if request.method == "POST" else 200
    return render_template("registration/register.html", event=event, form=form, already=already,
                           resend_form=ResendForm(email=form.email.data) if already else None), status


@bp.post("/e/<slug>/resend")
@limiter.limit("5 per 10 minutes")
def resend(slug: str):
    event = get_public_event(slug)
    form = ResendForm()
    if form.validate_on_submit():
        services.resend_ticket(event, form.email.data)
        flash(_("If this address is registered, the ticket has been sent to it again."), "success")
        return redirect(url_for("events.public_page", slug=slug))
    flash(_("Enter a valid email address."), "error")
    return redirect(url_for("registration.register", slug=slug))


def _ticket_or_404(code: str):
    try:
        return services.find_ticket(code)
    except services.TicketLookupError:
        abort(404)


def _is_dead(ticket) -> bool:  # noqa: ANN001
    """Revoked, reissued (the old code is revoked) or its registration cancelled: every representation of the
    ticket (page, PNG, .ics, self-cancel) answers 410 Gone alike."""
    return ticket.revoked_at is not None or ticket.registration.status == RegistrationStatus.CANCELLED


def _live_ticket_or_gone(code: str):
    ticket = _ticket_or_404(code)
    if _is_dead(ticket):
        abort(410)
    return ticket


@bp.get("/t/<code>")
def ticket(code: str):
    ticket = _ticket_or_404(code)
    registration = ticket.registration
    if _is_dead(ticket):
        response = make_response(render_template("registration/ticket_revoked.html", event=registration.event), 410)
        remember.forget(response, ticket.event_id)
        return response
    plan = journey(ticket)
    response = make_response(render_template(
        "registration/ticket.html", ticket=ticket, registration=registration, event=registration.event,
        qr_svg=qr.svg(ticket.code, title=_("Ticket QR code")) if plan.admission else "",
        is_new=request.args.get("new") == "1", position=services.waitlist_position(registration), journey=plan,
        viewer_zone=None,
    ))
    # This browser now remembers the ticket (signed, re-checked on every use): the projected QR code opens the
    # Q&A as its holder.
    if remember.recall(request.cookies.get(remember.cookie_name(ticket.event_id)), ticket.event_id).ticket != ticket:
        remember.remember(response, ticket, secure=request.is_secure)
    return response


@bp.get("/t/<code>.png")
def ticket_png(code: str):
    ticket = _live_ticket_or_gone(code)
    return Response(qr.png(ticket.code), mimetype="image/png",
                    headers={"Content-Disposition": 'attachment; filename="ticket.png"'})


@bp.get("/t/<code>.ics")
def ticket_ics(code: str):
    ticket = _live_ticket_or_gone(code)
    event = ticket.registration.event
    cal = Calendar()
    cal.add("prodid", "-//EventHub//EN")
    cal.add("version", "2.0")
    item = IcsEvent()
    item.add("uid", f"event-{event.id}@eventhub")
    item.add("summary", event.title)
    item.add("dtstart", event.starts_at)
    item.add("dtend", event.ends_at)
    item.add("dtstamp", event.updated_at)
    item.add("location", ", ".join(p for p in (event.room, event.venue) if p))
    item.add("url", external_url("registration.ticket", code=ticket.code))
    if event.is_cancelled:
        item.add("status", "CANCELLED")
    cal.add_component(item)
    return Response(cal.to_ical(), mimetype="text/calendar",
                    headers={"Content-Disposition": 'attachment; filename="event.ics"'})


@bp.get("/t/<code>/cancel")
def cancel_confirm(code: str):
    """Ask first, and say what really happens to the seat."""
    ticket = _live_ticket_or_gone(code)
    registration = ticket.registration
    return render_template("registration/cancel_confirm.html", ticket=ticket, registration=registration,
                           event=registration.event, position=services.waitlist_position(registration),
                           waiting=services.waiting_count(registration.event, registration.mode))


@bp.post("/t/<code>/cancel")
def cancel_own(code: str):
    ticket = _live_ticket_or_gone(code)
    if request.form.get("confirm") != "yes":
        return redirect(url_for("registration.cancel_confirm", code=code))
    registration = ticket.registration
    event = registration.event
    was = registration.status
    promoted = services.cancel_registration(registration)
    if was == RegistrationStatus.WAITLISTED:
        flash(_("Your registration is cancelled: you have left the waiting list."), "success")
    elif promoted:
        flash(_("Your registration is cancelled. Your seat has gone to the next person on the waiting list."),
              "success")
    else:
        flash(_("Your registration is cancelled. Your seat is free for someone else."), "success")
    response = redirect(url_for("events.public_page", slug=event.slug))
    remember.forget(response, event.id)
    return response


# --- organizer ------------------------------------------------------------------------------------------------

def _filter_from_args() -> services.RegistrationFilter:
    return services.RegistrationFilter(
        q=request.args.get("q", "")[:100], mode=request.args.get("mode", ""),
        status=request.args.get("status", ""), country=request.args.get("country", "")[:2],
    )


@bp.get("/manage/events/<int:event_id>/registrations")
@event_role_required(Role.ORGANIZER)
def manage_list(event_id: int):
    flt = _filter_from_args()
    page = min(max(1, request.args.get("page", 1, type=int) or 1), 10**6)
    rows, total = services.search_registrations(g.event, flt, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("registration/manage_list.html", event=g.event, rows=rows, total=total, flt=flt,
                           page=page, pages=max(1, -(-total // PAGE_SIZE)), counts=services.counts(g.event),
                           modes=list(AttendanceMode), statuses=list(RegistrationStatus))


CSV_COLUMNS = ["id", "name", "email", "organization", "job_title", "country", "mode", "status", "created_at",
               "confirmed_at", "cancelled_at", "source"]


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    # Spreadsheet formula injection: a cell starting with these is run as a formula by Excel/LibreOffice.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/manage/events/<int:event_id>/registrations.csv")
@event_role_required(Role.ORGANIZER)
def manage_csv(event_id: int):
    rows, _total = services.search_registrations(g.event, _filter_from_args())
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([_csv_safe(getattr(r, c).isoformat() if hasattr(getattr(r, c), "isoformat")
                                   else getattr(r, c)) for c in CSV_COLUMNS])
    # BOM so Excel opens UTF-8 (accents, Arabic) correctly.
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="registrations-{g.event.slug}.csv"'})


@bp.route("/manage/events/<int:event_id>/registrations/new", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def manage_add(event_id: int):
    form = ManualRegistrationForm(remote_enabled=g.event.remote_enabled)
    if form.validate_on_submit():
        with form_errors(form):
            data = _data_from_form(form)
            result = services.register(g.event, data, source="organizer", require_consent=False)
            flash(_("%(name)s is registered (%(status)s).", name=result.registration.name,
                    status=_status_label(result.registration.status)), "success")
            return redirect(url_for("registration.manage_list", event_id=event_id))
    return render_template("registration/manage_add.html", event=g.event, form=form), 422 if form.errors else 200


def _status_label(status: RegistrationStatus) -> str:
    return {RegistrationStatus.CONFIRMED: _("confirmed"), RegistrationStatus.WAITLISTED: _("waitlisted"),
            RegistrationStatus.CANCELLED: _("cancelled")}[status]


def _registration_action(event_id: int, registration_id: int, action, done: str):  # noqa: ANN001
    registration = services.get_registration(g.event, registration_id)
    perform(lambda: action(registration), done)
    return redirect(url_for("registration.manage_list", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/registrations/<int:registration_id>/cancel")
@event_role_required(Role.ORGANIZER)
def manage_cancel(event_id: int, registration_id: int):
    return _registration_action(event_id, registration_id, services.cancel_registration, _("Registration cancelled."))


@bp.post("/manage/events/<int:event_id>/registrations/<int:registration_id>/revoke")
@event_role_required(Role.ORGANIZER)
def manage_revoke(event_id: int, registration_id: int):
    return _registration_action(event_id, registration_id, services.revoke_ticket,
                                _("Ticket revoked: it will be refused at the door."))


@bp.post("/manage/events/<int:event_id>/registrations/<int:registration_id>/reissue")
@event_role_required(Role.ORGANIZER)
def manage_reissue(event_id: int, registration_id: int):
    return _registration_action(event_id, registration_id, services.reissue_ticket,
                                _("A new ticket was issued and emailed; the old one no longer works."))
