"""Organizer screens for events, and the public event page."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.auth.services import can_create_events, has_role, roles_for
from eventhub.checkin import queries as checkin_queries
from eventhub.core.i18n import EVENT_LOCALE
from eventhub.core.routes import HOME_EVENTS
from eventhub.core.timefmt import local_to_utc, to_zone
from eventhub.core.types import utcnow
from eventhub.core.web import form_errors
from eventhub.events import services
from eventhub.events.forms import EventForm
from eventhub.events.locale import event_default_locale
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.registration.services import counts

bp = Blueprint("events", __name__)


@bp.get("/e/<slug>")
def public_page(slug: str):
    event = services.get_public_event(slug)
    now = utcnow()
    viewer_zone = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return render_template(
        "events/public.html", event=event, registration_open=event.registration_open_at(now),
        not_yet_open=bool(event.registration_opens_at and now < event.registration_opens_at),
        viewer_zone=viewer_zone if viewer_zone and viewer_zone != event.timezone else None,
    )


@bp.get("/manage")
@login_required
def manage_index():
    return render_template("events/manage_index.html", events=services.events_for(current_user),
                           can_create=can_create_events(current_user))


def _form_to_data(form: EventForm) -> services.EventData:
    zone = form.timezone.data.strip()

    def utc(value: datetime | None) -> datetime | None:
        return local_to_utc(value, zone) if value else None

    return services.EventData(
        title=form.title.data or "", description=form.description.data or "", venue=form.venue.data or "",
        room=form.room.data or "", timezone=zone,
        starts_at=utc(form.starts_at.data),  # type: ignore[arg-type]  # the form requires both
        ends_at=utc(form.ends_at.data),  # type: ignore[arg-type]
        registration_opens_at=utc(form.registration_opens_at.data),
        registration_closes_at=utc(form.registration_closes_at.data), capacity=form.capacity.data or 0,
        remote_enabled=bool(form.remote_enabled.data), remote_capacity=form.remote_capacity.data,
        languages=tuple(form.languages.data or ()), default_locale=form.default_locale.data or None,
    )


@bp.route("/manage/events/new", methods=["GET", "POST"])
@login_required
def create():
    if not can_create_events(current_user):
        abort(403)
    form = EventForm()
    if form.validate_on_submit():
        with form_errors(form):
            event = services.create_event(_form_to_data(form), by=current_user)
            flash(_("Event created. Publish it when it is ready."), "success")
            return redirect(url_for("events.dashboard", event_id=event.id))
    return render_template("events/form.html", form=form, event=None), 422 if form.errors else 200


@bp.route("/manage/events/<int:event_id>/edit", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def edit(event_id: int):
    event: Event = g.event
    if request.method == "GET":
        form = EventForm(obj=event)
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = getattr(event, name)
            getattr(form, name).data = to_zone(value, event.timezone).replace(tzinfo=None) if value else None
        form.languages.data = event.language_list
        form.default_locale.data = event.default_locale or ""
    else:
        form = EventForm()
    if form.validate_on_submit():
        with form_errors(form):
            services.update_event(event, _form_to_data(form))
            flash(_("Changes saved."), "success")
            return redirect(url_for("events.dashboard", event_id=event.id))
    return render_template("events/form.html", form=form, event=event), 422 if form.errors else 200


@bp.get("/manage/events/<int:event_id>")
@event_role_required(Role.ORGANIZER, Role.MODERATOR, Role.DOOR_STAFF, Role.PANELIST)
def dashboard(event_id: int):
    event = g.event
    return render_template("events/dashboard.html", event=event, counts=counts(event),
                           door=checkin_queries.counters(event),
                           roles=roles_for(current_user, event),
                           is_organizer=has_role(current_user, event, Role.ORGANIZER))


@bp.post("/manage/events/<int:event_id>/publish")
@event_role_required(Role.ORGANIZER)
def publish(event_id: int):
    services.publish_event(g.event)
    flash(_("The event is published."), "success")
    return redirect(url_for("events.dashboard", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/cancel")
@event_role_required(Role.ORGANIZER)
def cancel(event_id: int):
    services.cancel_event(g.event)
    flash(_("The event is cancelled. Registration is closed."), "success")
    return redirect(url_for("events.dashboard", event_id=event_id))


@bp.get("/manage/events/<int:event_id>/outbox")
@event_role_required(Role.ORGANIZER)
def outbox(event_id: int):
    messages = db.session.scalars(
        db.select(MailMessage).where(MailMessage.event_id == event_id).order_by(MailMessage.id.desc()).limit(200)
    ).all()
    return render_template("events/outbox.html", event=g.event, messages=messages)


@bp.get("/manage/events/<int:event_id>/outbox/<int:message_id>")
@event_role_required(Role.ORGANIZER)
def outbox_message(event_id: int, message_id: int):
    message = db.get_or_404(MailMessage, message_id)
    if message.event_id != event_id:
        abort(404)
    return render_template("events/outbox_message.html", event=g.event, message=message)


def register(app: Flask) -> None:
    """The home page (core) lists the upcoming public events: this area says which."""
    app.extensions[HOME_EVENTS] = services.upcoming_public_events
    app.extensions[EVENT_LOCALE] = event_default_locale
