"""Organizer screens: the day grid by room, rooms, sessions, panelists, publication and the green room."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.auth.services import has_role
from eventhub.core.errors_web import json_view
from eventhub.core.live import parse_payload
from eventhub.core.timefmt import local_to_utc, to_zone
from eventhub.core.types import utcnow
from eventhub.core.web import FormErrors, form_errors, perform
from eventhub.events.models import Event
from eventhub.registration.countries import country_choices
from eventhub.schedule import agenda, services
from eventhub.schedule import panelists as pan
from eventhub.schedule.forms import PanelistForm, RoomForm, SessionForm
from eventhub.schedule.models import AgendaSession, ParticipationMode
from eventhub.schedule.schemas import MoveIn

bp = Blueprint("schedule_manage", __name__, url_prefix="/manage/events/<int:event_id>/schedule")

SLOT_MINUTES = 15


def _refusals(form) -> FormErrors:  # noqa: ANN001
    """A refused schedule form: field errors on the form; conflicts about the whole session are flashed too."""
    return form_errors(form, fields={"moderator_ids": "moderators"},
                       flash=("room_conflict", "person_conflict", "outside_event", "invalid_times"))


def _day_arg(event: Event) -> date:
    days = agenda.event_days(event)
    try:
        wanted = date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return days[0]
    return wanted if wanted in days else days[0]


# --- the grid -------------------------------------------------------------------------------------------------

def grid_layout(event: Event, day: date, sessions: list[AgendaSession], rooms) -> dict:  # noqa: ANN001
    """Rows are 15-minute slots of the event's local day, clipped to the event's hours (±1 h)."""
    day_start, day_end = agenda.day_bounds(event, day)
    start = max(day_start, event.starts_at - timedelta(hours=1))
    end = min(day_end, event.ends_at + timedelta(hours=1))
    local_start = to_zone(start, event.timezone)
    start = start - timedelta(minutes=local_start.minute % SLOT_MINUTES, seconds=local_start.second,
                              microseconds=local_start.microsecond)
    slots = max(1, int((end - start).total_seconds() // (SLOT_MINUTES * 60)) + 1)
    column = {room.id: i + 2 for i, room in enumerate(rooms)}
    placed = []
    for s in sessions:
        first = max(0, int((s.starts_at - start).total_seconds() // (SLOT_MINUTES * 60)))
        span = max(1, -(-int((min(s.ends_at, end) - max(s.starts_at, start)).total_seconds()) // (SLOT_MINUTES * 60)))
        placed.append({"session": s, "row": first + 2, "span": span,
                       "col": column.get(s.room_id, len(rooms) + 2)})
    return {"start": start, "slots": [start + timedelta(minutes=SLOT_MINUTES * i) for i in range(slots)],
            "placed": placed, "columns": len(rooms) + (1 if any(s.room_id not in column for s in sessions) else 0)}


@bp.get("")
@event_role_required(Role.ORGANIZER)
def grid(event_id: int):
    event: Event = g.event
    day = _day_arg(event)
    rooms = services.rooms_of(event)
    sessions = services.sessions_of(event, day=day)
    return render_template(
        "schedule/manage/grid.html", event=event, day=day, days=agenda.event_days(event), rooms=rooms,
        layout=grid_layout(event, day, sessions, rooms), published=services.is_published(event),
        drafts=services.unpublished_count(event), slot_minutes=SLOT_MINUTES,
    )


@bp.post("/publish")
@event_role_required(Role.ORGANIZER)
def publish(event_id: int):
    count = services.publish_schedule(g.event)
    flash(_("The schedule is published: %(n)d new session(s) visible to attendees.", n=count), "success")
    return redirect(url_for("schedule_manage.grid", event_id=event_id))


# --- rooms ----------------------------------------------------------------------------------------------------

def _room_data(form: RoomForm) -> services.RoomData:
    return services.RoomData(name=form.name.data or "", capacity=form.capacity.data,
                             has_stream=bool(form.has_stream.data))


@bp.route("/rooms", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def rooms(event_id: int):
    form = RoomForm()
    if form.validate_on_submit():
        with _refusals(form):
            room = services.create_room(g.event, _room_data(form))
            flash(_("Room “%(name)s” added.", name=room.name), "success")
            return redirect(url_for("schedule_manage.rooms", event_id=event_id))
    return render_template("schedule/manage/rooms.html", event=g.event, form=form,
                           rooms=services.rooms_of(g.event)), 422 if form.errors else 200


@bp.route("/rooms/<int:room_id>/edit", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def edit_room(event_id: int, room_id: int):
    room = services.get_room(g.event, room_id)
    form = RoomForm(obj=room)
    if form.validate_on_submit():
        with _refusals(form):
            services.update_room(room, _room_data(form))
            flash(_("Changes saved."), "success")
            return redirect(url_for("schedule_manage.rooms", event_id=event_id))
    return render_template("schedule/manage/room_form.html", event=g.event, form=form,
                           room=room), 422 if form.errors else 200


@bp.post("/rooms/<int:room_id>/delete")
@event_role_required(Role.ORGANIZER)
def delete_room(event_id: int, room_id: int):
    room = services.get_room(g.event, room_id)
    perform(lambda: services.delete_room(room), _("Room deleted."))
    return redirect(url_for("schedule_manage.rooms", event_id=event_id))


# --- sessions -------------------------------------------------------------------------------------------------

def _session_form(event: Event, session: AgendaSession | None = None) -> SessionForm:
    form = SessionForm()
    form.room_id.choices = [(r.id, r.name) for r in services.rooms_of(event)] or [(0, _("No room yet"))]
    people = pan.panelists_of(event)
    form.panelists.choices = [(p.id, p.name) for p in people]
    form.remote_panelists.choices = [(p.id, p.name) for p in people]
    form.moderators.choices = [(u.id, u.name) for u in services.moderator_choices(event)]
    if request.method == "GET":
        if session is not None:
            form.process(obj=session)
            form.starts_at.data = to_zone(session.starts_at, event.timezone).replace(tzinfo=None)
            form.ends_at.data = to_zone(session.ends_at, event.timezone).replace(tzinfo=None)
            form.kind.data = session.kind.value
            form.languages.data = session.language_list
            form.panelists.data = [sp.panelist_id for sp in session.panelists]
            form.remote_panelists.data = [sp.panelist_id for sp in session.panelists
                                          if sp.mode == ParticipationMode.REMOTE]
            form.moderators.data = [m.user_id for m in session.moderators]
        else:
            start = request.args.get("start", "")
            try:
                form.starts_at.data = datetime.fromisoformat(start) if start else None
                form.ends_at.data = form.starts_at.data + timedelta(minutes=60) if form.starts_at.data else None
            except ValueError:
                pass
            if request.args.get("room", "").isdigit():
                form.room_id.data = int(request.args["room"])
            form.languages.data = event.language_list[:1]
    return form


def _session_data(event: Event, form: SessionForm) -> services.SessionData:
    remote = set(form.remote_panelists.data or ())
    return services.SessionData(
        title=form.title.data or "", kind=form.kind.data or "", description=form.description.data or "",
        room_id=form.room_id.data or None, languages=tuple(form.languages.data or ()),
        starts_at=local_to_utc(form.starts_at.data, event.timezone),
        ends_at=local_to_utc(form.ends_at.data, event.timezone),
        meeting_url=form.meeting_url.data or "", livestream_url=form.livestream_url.data or "",
        panelists=[(pid, ParticipationMode.REMOTE if pid in remote else None) for pid in form.panelists.data or ()],
        moderator_ids=list(form.moderators.data or ()),
    )


@bp.route("/sessions/new", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def new_session(event_id: int):
    event = g.event
    form = _session_form(event)
    if form.validate_on_submit():
        with _refusals(form):
            session = services.create_session(event, _session_data(event, form))
            flash(_("Session “%(title)s” added (draft until you publish the schedule).", title=session.title),
                  "success")
            day = to_zone(session.starts_at, event.timezone).date().isoformat()
            return redirect(url_for("schedule_manage.grid", event_id=event_id, day=day))
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/manage/session_form.html", event=event, form=form, session=None), status


@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def edit_session(event_id: int, session_id: int):
    event = g.event
    session = services.get_session(event, session_id)
    form = _session_form(event, session)
    if form.validate_on_submit():
        with _refusals(form):
            services.update_session(session, _session_data(event, form))
            flash(_("Changes saved."), "success")
            day = to_zone(session.starts_at, event.timezone).date().isoformat()
            return redirect(url_for("schedule_manage.grid", event_id=event_id, day=day))
    status = 422 if request.method == "POST" else 200
    return render_template("schedule/manage/session_form.html", event=event, form=form, session=session), status


@bp.post("/sessions/<int:session_id>/move")
@event_role_required(Role.ORGANIZER)
@json_view
def move_session(event_id: int, session_id: int):
    """JSON endpoint of the grid's drag-to-move and resize (CSRF token in the X-CSRFToken header)."""
    session = services.get_session(g.event, session_id)
    move = parse_payload(MoveIn, request.get_json(silent=True))
    services.move_session(session, starts_at=move.starts_at, ends_at=move.ends_at, room_id=move.room_id)
    return {"id": session.id, "starts_at": session.starts_at.isoformat(), "ends_at": session.ends_at.isoformat(),
            "room_id": session.room_id, "changed": session.changed_at is not None}


@bp.post("/sessions/<int:session_id>/cancel")
@event_role_required(Role.ORGANIZER)
def cancel_session(event_id: int, session_id: int):
    session = services.get_session(g.event, session_id)
    perform(lambda: services.cancel_session(session), _("Session cancelled. Attendees see it as cancelled."))
    return redirect(url_for("schedule_manage.grid", event_id=event_id))


@bp.post("/sessions/<int:session_id>/delete")
@event_role_required(Role.ORGANIZER)
def delete_session(event_id: int, session_id: int):
    session = services.get_session(g.event, session_id)
    perform(lambda: services.delete_session(session), _("Session deleted."))
    return redirect(url_for("schedule_manage.grid", event_id=event_id))


# --- panelists ------------------------------------------------------------------------------------------------

def _panelist_form(obj=None) -> PanelistForm:  # noqa: ANN001
    form = PanelistForm(obj=obj) if request.method == "GET" else PanelistForm()
    form.country.choices = [("", "—"), *country_choices(str(get_locale() or "fr"))]
    if request.method == "GET" and obj is not None:
        form.mode.data = obj.mode.value
    return form


def _panelist_data(form: PanelistForm) -> pan.PanelistData:
    return pan.PanelistData(name=form.name.data or "", email=form.email.data or "", title=form.title.data or "",
                            organization=form.organization.data or "", country=form.country.data or "",
                            bio=form.bio.data or "", mode=form.mode.data or "", timezone=form.timezone.data or "")


def _save_photo(panelist, form: PanelistForm) -> None:  # noqa: ANN001
    upload = form.photo.data
    if upload and getattr(upload, "filename", ""):
        pan.set_photo(panelist, upload.read(pan.PHOTO_MAX + 1))


@bp.route("/panelists", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def panelists(event_id: int):
    form = _panelist_form()
    if form.validate_on_submit():
        with _refusals(form):
            panelist = pan.create_panelist(g.event, _panelist_data(form))
            _save_photo(panelist, form)
            flash(_("%(name)s added. Send the invitation when their sessions are set.", name=panelist.name),
                  "success")
            return redirect(url_for("schedule_manage.panelists", event_id=event_id))
    now = utcnow()
    people = pan.panelists_of(g.event)
    return render_template("schedule/manage/panelists.html", event=g.event, form=form, panelists=people,
                           arrived={p.id: pan.is_arrived(p, g.event, now) for p in people}), \
        422 if form.errors else 200


@bp.route("/panelists/<int:panelist_id>/edit", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def edit_panelist(event_id: int, panelist_id: int):
    panelist = pan.get_panelist(g.event, panelist_id)
    form = _panelist_form(panelist)
    if form.validate_on_submit():
        with _refusals(form):
            pan.update_panelist(panelist, _panelist_data(form))
            _save_photo(panelist, form)
            flash(_("Changes saved."), "success")
            return redirect(url_for("schedule_manage.panelists", event_id=event_id))
    return render_template("schedule/manage/panelist_form.html", event=g.event, form=form, panelist=panelist,
                           sessions=pan.sessions_for(panelist)), 422 if form.errors else 200


@bp.post("/panelists/<int:panelist_id>/invite")
@event_role_required(Role.ORGANIZER)
def invite_panelist(event_id: int, panelist_id: int):
    panelist = pan.get_panelist(g.event, panelist_id)
    perform(lambda: pan.invite(panelist), _("Personal link sent to %(email)s.", email=panelist.email))
    return redirect(url_for("schedule_manage.panelists", event_id=event_id))


@bp.post("/panelists/<int:panelist_id>/revoke")
@event_role_required(Role.ORGANIZER)
def revoke_panelist_links(event_id: int, panelist_id: int):
    panelist = pan.get_panelist(g.event, panelist_id)
    perform(lambda: pan.revoke_links(panelist),
            _("Every link sent to %(name)s so far no longer works. Send a new invitation if needed.",
              name=panelist.name))
    return redirect(url_for("schedule_manage.panelists", event_id=event_id))


@bp.post("/panelists/<int:panelist_id>/delete")
@event_role_required(Role.ORGANIZER)
def delete_panelist(event_id: int, panelist_id: int):
    panelist = pan.get_panelist(g.event, panelist_id)
    perform(lambda: pan.delete_panelist(panelist), _("Panelist removed."))
    return redirect(url_for("schedule_manage.panelists", event_id=event_id))


@bp.get("/green-room")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def green_room(event_id: int):
    now = utcnow()
    return render_template("schedule/manage/green_room.html", event=g.event,
                           rooms_state=pan.green_room(g.event, now),
                           is_organizer=has_role(current_user, g.event, Role.ORGANIZER))

