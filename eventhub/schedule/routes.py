"""Public agenda (by day and room, now and next, session pages), personal agendas, calendar feeds and the
panelist's own page opened by their personal link."""

from __future__ import annotations

from datetime import date

from babel.dates import format_date
from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.core.errors import strip_control
from eventhub.core.timefmt import to_zone
from eventhub.core.types import utcnow
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.events.services import get_public_event
from eventhub.extensions import db, limiter
from eventhub.registration import services as reg_services
from eventhub.registration.journey import staged_sessions
from eventhub.registration.models import RegistrationStatus
from eventhub.schedule import agenda as attendee_agenda
from eventhub.schedule import feeds, services
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession, Panelist, ParticipationMode

bp = Blueprint("schedule", __name__)


def _viewer_zone(event: Event) -> str | None:
    zone = getattr(current_user, "timezone", None) if current_user.is_authenticated else None
    return zone if zone and zone != event.timezone else None


def _valid_slug(slug: str) -> bool:
    """PostgreSQL refuses NUL in a query parameter: such a slug names no event (and must not become a 500)."""
    return strip_control(slug) == slug


def _published_event(slug: str) -> Event:
    if not _valid_slug(slug):
        abort(404)
    event = get_public_event(slug)
    if not services.is_published(event):
        abort(404)
    return event


def _day(event: Event) -> date | None:
    raw = request.args.get("day", "")
    try:
        wanted = date.fromisoformat(raw) if raw else None
    except ValueError:
        return None
    return wanted if wanted in attendee_agenda.event_days(event) else None


def _agenda_context(event: Event) -> dict:
    now = utcnow()
    sessions = services.sessions_of(event, published_only=True)
    days = attendee_agenda.event_days(event)
    day = _day(event)
    by_day = []
    for d in days if day is None else [day]:
        start, end = attendee_agenda.day_bounds(event, d)
        items = [s for s in sessions if s.starts_at < end and s.ends_at > start]
        if items or day is not None:
            by_day.append((d, items))
    live, upcoming = attendee_agenda.now_and_next(sessions, now)
    return {"event": event, "by_day": by_day, "days": days, "day": day, "live": live, "upcoming": upcoming,
            "rooms": services.rooms_of(event), "viewer_zone": _viewer_zone(event)}


@bp.get("/e/<slug>/agenda")
def agenda(slug: str):
    event = _published_event(slug)
    return render_template("schedule/agenda.html", **_agenda_context(event), ticket=None, starred=set())


@bp.get("/e/<slug>/agenda/<int:session_id>")
def session_page(slug: str, session_id: int):
    event = _published_event(slug)
    session = services.get_by_id(AgendaSession, session_id)
    if session is None or session.event_id != event.id or not session.is_published:
        abort(404)
    return render_template("schedule/session.html", event=event, session=session, viewer_zone=_viewer_zone(event))


@bp.get("/e/<slug>/agenda.ics")
def agenda_ics(slug: str):
    event = _published_event(slug)
    body = feeds.build_calendar(event, services.sessions_of(event, published_only=True), name=event.title)
    return _ics(body, f"{event.slug}.ics")


@bp.get("/e/<slug>/panelists/<int:panelist_id>/photo")
def panelist_photo(slug: str, panelist_id: int):
    event = _published_event(slug)
    panelist = services.get_by_id(Panelist, panelist_id)
    if panelist is None or panelist.event_id != event.id or not panelist.photo:
        abort(404)
    return Response(panelist.photo, mimetype=panelist.photo_type,
                    headers={"Cache-Control": "public, max-age=3600", "Content-Security-Policy": "default-src 'none'"})


def _ics(body: bytes, filename: str) -> Response:
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# --- personal agenda (the ticket link is the key) ------------------------------------------------------------

def _registration(code: str):  # noqa: ANN202
    try:
        ticket = reg_services.find_ticket(code)
    except reg_services.TicketLookupError:
        abort(404)
    if ticket.revoked_at is not None or ticket.registration.status == RegistrationStatus.CANCELLED:
        abort(404)
    return ticket


@bp.get("/t/<code>/agenda")
def my_agenda(code: str):
    ticket = _registration(code)
    event = ticket.registration.event
    if not services.is_published(event):
        return render_template("schedule/not_yet.html", event=event), 200
    return render_template("schedule/agenda.html", **_agenda_context(event), ticket=ticket,
                           starred=attendee_agenda.starred_ids(ticket.registration),
                           mine=attendee_agenda.starred_sessions(ticket.registration))


@bp.post("/t/<code>/agenda/<int:session_id>/star")
@limiter.limit("120 per minute")
def star(code: str, session_id: int):
    ticket = _registration(code)
    session = services.get_by_id(AgendaSession, session_id)
    if session is None:
        abort(404)
    starred = attendee_agenda.toggle_star(ticket.registration, session)
    if request.accept_mimetypes.best == "application/json":
        return {"session_id": session_id, "starred": starred}
    flash(_("Added to your agenda.") if starred else _("Removed from your agenda."), "success")
    return redirect(url_for("schedule.my_agenda", code=ticket.code) + f"#s{session_id}")


@bp.get("/t/<code>/agenda.ics")
def my_agenda_ics(code: str):
    ticket = _registration(code)
    event = ticket.registration.event
    body = feeds.build_calendar(event, attendee_agenda.starred_sessions(ticket.registration),
                                name=_("My agenda: %(title)s", title=event.title))
    return _ics(body, "my-agenda.ics")


# --- the panelist's page --------------------------------------------------------------------------------------

def _panelist_or_404(slug: str, token: str) -> tuple[Event, Panelist]:
    event = db.session.scalar(db.select(Event).where(Event.slug == slug)) if _valid_slug(slug) else None
    panelist = pan.panelist_from_token(token, event) if event is not None else None
    if event is None or panelist is None:
        abort(404)  # expired, revoked, tampered or another event's: one answer, no detail
    return event, panelist


@bp.get("/e/<slug>/panelist/<token>")
def panelist_page(slug: str, token: str):
    event, panelist = _panelist_or_404(slug, token)
    # Not marked arrived here: a mail client's link preview opens this page too. The page's script marks the
    # arrival when it joins the green room (eventhub/schedule/sockets.py, on connect).
    sessions = [(s, sp) for s, sp in pan.sessions_for(panelist)]
    remote = any(sp.effective_mode == ParticipationMode.REMOTE for _s, sp in sessions)
    staged = staged_sessions(event, [s.id for s, _sp in sessions])  # a break has no stage to go to
    response = make_response(render_template("schedule/panelist.html", event=event, panelist=panelist,
                                             sessions=sessions, token=token, remote=remote, zone=panelist.timezone,
                                             staged=staged))
    response.headers["Cache-Control"] = "no-store"  # the address is the key: keep it out of shared caches
    return response


@bp.get("/e/<slug>/panelist/<token>/agenda.ics")
def panelist_ics(slug: str, token: str):
    event, panelist = _panelist_or_404(slug, token)
    pairs = pan.sessions_for(panelist)
    modes = {s.id: sp.effective_mode for s, sp in pairs}

    def location(session: AgendaSession) -> str | None:
        if modes.get(session.id) == ParticipationMode.REMOTE:
            return session.meeting_url or external_url("schedule.panelist_page", slug=slug, token=token)
        return None

    body = feeds.build_calendar(event, [s for s, _sp in pairs], name=_("My sessions: %(title)s", title=event.title),
                                zone=panelist.timezone, location_for=location)
    return _ics(body, "my-sessions.ics")


# --- template helpers -----------------------------------------------------------------------------------------

@bp.app_template_filter("day_label")
def day_label(value: date) -> str:
    return format_date(value, "EEEE d MMMM y", locale=get_locale() or "fr")


@bp.app_template_global()
def mode_badge(mode: object) -> str:
    value = getattr(mode, "value", mode)
    return _("remote") if value == "remote" else _("on stage")


@bp.app_template_global()
def kind_label(kind: object) -> str:
    value = getattr(kind, "value", kind)
    return {"opening": _("Opening"), "panel": _("Panel"), "pitch": _("Pitches"), "break": _("Break"),
            "networking": _("Networking")}.get(str(value), str(value))


@bp.app_template_global()
def schedule_published(event: Event) -> bool:
    return services.is_published(event)


@bp.app_template_filter("hm")
def hour_minute(value, zone: str) -> str:  # noqa: ANN001
    """Wall-clock HH:MM in `zone`, for grids and lists whose heading already names the zone."""
    return to_zone(value, zone).strftime("%H:%M") if value else ""
