"""Floor pages: the moderators' console (works without JavaScript: every button is a form), its one form action,
and the interpreter's page opened by a personal link. Everything live goes through the /floor namespace."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role, User
from eventhub.auth.permissions import event_role_required
from eventhub.core.errors import NotFound, ValidationFailed
from eventhub.core.timefmt import language_name
from eventhub.core.web import flash_refusals, perform
from eventhub.extensions import db
from eventhub.floor import broadcast as bc
from eventhub.floor import channels, hands, services, speeches, totals
from eventhub.floor.models import FloorSettings
from eventhub.schedule.models import AgendaSession
from eventhub.stage import services as stage_services
from eventhub.stage.routes import stage_csp, stage_strings

bp = Blueprint("floor", __name__)


@bp.app_template_global("floor_strings")
def floor_strings() -> dict[str, str]:
    """The floor scripts' words, translated here and handed over in a data attribute (no inline script)."""
    return {
        "live": _("Live"), "offline": _("Offline — reconnecting…"), "nobody": _("Nobody has the floor."),
        "speaking": _("Speaking"), "paused": _("Paused"), "overtime": _("Overtime"), "one_minute": _("1 minute left"),
        "time_up": _("Time is up"), "start": _("Give the floor"), "interject": _("Interjection"),
        "remove": _("Remove"), "up": _("Up"), "down": _("Down"), "accept": _("Accept (audio only)"),
        "accept_video": _("Accept with video"), "decline": _("Decline"), "no_hands": _("No requests for the floor."),
        "hand_pending": _("Your request is with the moderator."),
        "hand_accepted": _("You are on the list of speakers."),
        "hand_declined": _("The moderator declined your request."), "hand_withdrawn": _("Request withdrawn."),
        "withdraw": _("Withdraw my request"), "you_speak": _("You have the floor."), "next": _("Waiting"),
        "remote": _("remote"), "in_room": _("in the room"), "video": _("video allowed"), "audio": _("audio only"),
        "no_budget": _("no limit"), "left": _("left"), "used": _("used"), "floor": _("Floor (original)"),
        "refused": _("This link is not valid for the floor."),
        "now_speaking": _("Speaking: {name}"), "saved": _("Saved."), "connected": _("Connected"),
        "kind_moderator": _("moderator"), "kind_panelist": _("panelist"), "kind_attendee": _("attendee"),
    }


@bp.app_template_global("channel_language")
def channel_language(code: str, *, capital: bool = False) -> str:
    """An interpretation channel's language by its name in the reader's language ("ar" → "arabe", "العربية");
    `capital` for a name that starts a line (a list or a menu: "Arabe")."""
    names = {"son": _("Songhai")}  # not in the CLDR names Babel ships
    name = names.get(code) or language_name(code)
    return name[:1].upper() + name[1:] if capital else name


@bp.app_template_global("channel_languages")
def channel_languages() -> dict[str, str]:
    """Every channel language's name, for the scripts (handed over in a data attribute; a menu capitalises it)."""
    return {code: channel_language(code) for code in channels.LANGUAGE_CODES}


@bp.app_template_global("floor_show_timer")
def floor_show_timer(session_id: int) -> bool:
    """Whether the moderator chose to show the speaking timer on the stage screen (templates/floor/_timer.html)."""
    settings = db.session.get(FloorSettings, session_id) if services.valid_id(session_id) else None
    return bool(settings and settings.show_timer_on_screen)


def _console_session(event_id: int, session_id: int) -> AgendaSession:
    session = services.get_session(session_id, published_only=False)  # NotFound: a 404 page or JSON body
    if session.event_id != event_id:
        abort(404)
    return session


@bp.get("/manage/events/<int:event_id>/floor/<int:session_id>")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def console(event_id: int, session_id: int):
    session = _console_session(event_id, session_id)
    state = bc.state_view(session.id)
    if state["settings"] is None:  # the row is made by the first write (a GET never writes): show its defaults
        state["settings"] = bc.settings_view(FloorSettings(default_budget_seconds=None, show_timer_on_screen=False,
                                                           hands_open=True))
    panelists = [{"id": sp.panelist.id, "name": sp.panelist.name, "country": sp.panelist.country}
                 for sp in session.panelists]
    moderators = [{"id": m.user.id, "name": m.user.name} for m in session.moderators]
    response = make_response(render_template(
        "floor/console.html", event=g.event, session=session, state=state, hands=bc.pending_hands(session.id),
        panelists=panelists, moderators=moderators, totals=totals.speaking_totals(session),
        channels=[(c, url_for("floor.interpreter", token=channels.make_link_token(c), _external=True))
                  for c in channels.channels_of(session.id)], languages=channels.LANGUAGE_CODES))
    response.headers["Cache-Control"] = "no-store"
    return response


def _int(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise ValidationFailed("invalid_payload", _("Some fields are missing or invalid."))
    return int(raw)


def _minutes(name: str) -> int | None:
    raw = (request.form.get(name) or "").strip().replace(",", ".")
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValidationFailed("invalid_budget", _("A speaking time is between 1 second and 4 hours.")) from None
    if not 0 < value <= 240:
        raise ValidationFailed("invalid_budget", _("A speaking time is between 1 second and 4 hours."))
    return max(1, round(value * 60))


def _action(session: AgendaSession, by: User, action: str) -> tuple[Callable[[], object], str]:
    """The service call a console button stands for, and what to flash when it is done."""
    form = request.form

    def _current() -> speeches.Current:
        """The console's forms carry the running speech they were rendered with ("" for nobody)."""
        if "if_current" not in form:
            return speeches.ANY
        return _int("if_current")

    def speaker():  # noqa: ANN202
        return services.get_speaker(session.id, _int("speaker_id"))

    def _channel() -> channels.Channel:
        channel = channels.get_channel(_int("channel_id"))
        if channel.session_id != session.id:
            raise NotFound("channel_not_found", _("No such interpretation channel."))
        return channel

    table: dict[str, tuple[Callable[[], object], str]] = {
        "add": (lambda: services.add_speaker(
            session, by=by, kind=form.get("kind", ""), panelist_id=_int("panelist_id"), user_id=_int("user_id"),
            name=form.get("name"), delegation_id=_int("delegation_id"), budget_seconds=_minutes("minutes")),
            _("Added to the list of speakers.")),
        "remove": (lambda: services.remove_speaker(speaker(), by=by), _("Removed from the list.")),
        "up": (lambda: services.move_speaker(speaker(), by=by, direction="up"), _("Moved up.")),
        "down": (lambda: services.move_speaker(speaker(), by=by, direction="down"), _("Moved down.")),
        "start": (lambda: speeches.start(speaker(), by=by, if_current=_current()), _("The speaker has the floor.")),
        "interject": (lambda: speeches.interject(speaker(), by=by, if_current=_current()),
                      _("Interjection: the speaker is paused.")),
        "pause": (lambda: speeches.pause(session, by=by, if_current=_current()), _("Paused.")),
        "resume": (lambda: speeches.resume(session, by=by, if_current=_current()), _("Resumed.")),
        "end": (lambda: speeches.end(session, by=by, if_current=_current()), _("Speech ended.")),
        "accept": (lambda: hands.decide(hands.get_hand(_int("hand_id")), by=by, accept=True,
                                        video_allowed=form.get("video") == "1"), _("Request accepted.")),
        "decline": (lambda: hands.decide(hands.get_hand(_int("hand_id")), by=by, accept=False),
                    _("Request declined.")),
        "settings": (lambda: services.update_settings(
            session, by=by, default_budget_seconds=_minutes("default_minutes"),
            show_timer_on_screen=form.get("show_timer") == "1", hands_open=form.get("hands_open") == "1"),
            _("Settings saved.")),
        "delegation": (lambda: services.set_delegation(session, by=by, name=form.get("name", ""),
                                                       country=form.get("country", ""),
                                                       budget_seconds=_minutes("minutes")), _("Delegation saved.")),
        "channel": (lambda: channels.add_channel(session, by=by, language=form.get("language", ""),
                                                 interpreter_name=form.get("name", ""),
                                                 interpreter_email=form.get("email", "")),
                    _("Interpretation channel added: send the interpreter their link.")),
        "revoke_link": (lambda: channels.revoke_link(_channel(), by=by),
                        _("The interpreter's link no longer works and their connection was cut. Send the new "
                          "link.")),
    }
    if action not in table:
        raise ValidationFailed("invalid_action", _("Unknown action."))
    return table[action]


@bp.post("/manage/events/<int:event_id>/floor/<int:session_id>")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def act(event_id: int, session_id: int):
    session = _console_session(event_id, session_id)
    by = db.session.get(User, current_user.id)
    if by is None:
        abort(403)
    with flash_refusals():  # an unknown action or an unreadable field: flashed, like a refused one
        call, done = _action(session, by, request.form.get("action", ""))
        perform(call, done)
    return redirect(url_for("floor.console", event_id=event_id, session_id=session_id))


@bp.get("/floor/interpreter/<token>")
def interpreter(token: str):
    channel = channels.channel_from_token(token)
    if channel is None:
        abort(404)
    session = services.session_of(channel.session_id)
    response = make_response(render_template(
        "floor/interpreter.html", session=session, channel=channel, token=token,
        others=[c for c in channels.channels_of(session.id) if c.id != channel.id],
        media=stage_services.media_backend() is not None, stage_strings=stage_strings))
    response.headers["Content-Security-Policy"] = stage_csp()  # janus.js talks to the Janus origins
    response.headers["Cache-Control"] = "no-store"
    return response
