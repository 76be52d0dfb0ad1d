"""Stage pages: the hall's screen and room feed (by the stage's key), the stage manager's console, the remote
panelist's stage (by personal link) and the remote attendee's live page (by ticket). Everything live goes
through the /stage namespace; media goes browser ↔ Janus."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, make_response, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.core.templating import CSP
from eventhub.core.timefmt import to_zone
from eventhub.core.urls import external_url
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.media.setup import media_csp
from eventhub.qa import services as qa_services
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession
from eventhub.schedule.services import get_by_id, sessions_of
from eventhub.stage import access
from eventhub.stage import services as svc
from eventhub.stage.models import Stage
from eventhub.tickets import qr

bp = Blueprint("stage", __name__)


@bp.app_template_global("stage_strings")
def stage_strings() -> dict[str, str]:
    """The stage scripts' words, translated here and handed over in a data attribute (no inline script)."""
    return {
        "connecting": _("Connecting…"), "live": _("Connected"), "offline": _("Offline — reconnecting…"),
        "reconnecting": _("Reconnecting…"), "closed": _("The stage is not open yet."),
        "ended": _("The session has ended."), "no_media": _("The stage's media server is not available. "
                                                             "Everything else works."),
        "on_air": _("ON AIR"), "backstage": _("Backstage: you are not live"), "removed": _("You were removed "
                                                                                           "from the stage."),
        "mute": _("Mute"), "unmute": _("Unmute"), "muted": _("Muted"), "bring_live": _("Bring live"),
        "send_backstage": _("Send backstage"), "remove": _("Remove"), "spotlight": _("Spotlight"),
        "unspotlight": _("End spotlight"), "allow_screen": _("Allow screen share"),
        "deny_screen": _("Stop screen share"), "weak": _("weak link"), "click_to_start": _("Click to start the sound"),
        "audio_only": _("Audio only"), "video": _("Video"), "share_screen": _("Share my screen"),
        "join": _("Join the stage"), "leave": _("Leave"), "room_feed": _("The room"), "nobody_live": _("Nobody is "
                                                                                                       "live yet."),
        "refused": _("This link is not valid for the stage."),
        "turn_over": _("Your turn is over. Thank you."),
        "you_are_heard": _("You are on air: everyone hears you."),
        "speaker_no_media": _("Your microphone cannot reach the stage right now: the media server is not "
                              "available. The moderator sees it too."),
        "start_interpreting": _("Start interpreting"), "stop_interpreting": _("Stop interpreting"),
        "interp_on_air": _("On air: your listeners hear you."),
        # The console's words for the stage's and each person's state (the page never shows the raw values).
        "state_closed": _("closed"), "state_open": _("open (backstage only)"), "state_live": _("live"),
        "state_ended": _("ended"), "place_backstage": _("backstage"), "place_live": _("on air"),
        "place_removed": _("removed"), "conn_joining": _("joining"), "conn_joined": _("connected"),
        "conn_reconnecting": _("reconnecting"), "conn_offline": _("not connected"), "conn_failed": _("failed"),
        "kbps": _("kbit/s"), "loss": _("loss"),
    }


def stage_csp() -> str:
    """The app's policy, with the Janus servers' origins allowed for fetch (janus.js talks HTTP to them)."""
    return media_csp(CSP) if svc.media_backend() is not None else CSP


def _page(template: str, **context: object) -> Response:
    response = make_response(render_template(template, media=svc.media_backend() is not None, **context))
    response.headers["Content-Security-Policy"] = stage_csp()
    response.headers["Cache-Control"] = "no-store"  # the address is the key
    return response


def _session(session_id: int) -> tuple[AgendaSession, Event, Stage]:
    session = get_by_id(AgendaSession, session_id)
    if session is None or session.is_cancelled:
        abort(404)
    event = db.session.get(Event, session.event_id)
    if event is None:
        abort(404)
    stage = svc.get_stage(session)  # made with the session: a read
    return session, event, stage


@bp.get("/stage/<int:session_id>/screen")
def screen(session_id: int):
    session, event, stage = _session(session_id)
    if access.key_holder(stage, request.args.get("key"), room_feed=False) is None:
        abort(404)
    settings = qa_services.get_settings(session)  # its short code: the QR code of the idle screen
    join_url = external_url("qa.join", code=settings.short_code)
    return _page("stage/screen.html", session=session, event=event, key=stage.screen_key,
                 next_session=next_session(session, event), join_url=join_url,
                 qr_svg=qr.svg(join_url, title=_("QR code of the session's Q&A")))


def next_session(session: AgendaSession, event: Event) -> AgendaSession | None:
    """What the hall's screen announces while nobody is live: the next published session in the same room, else
    the event's next one."""
    later = [s for s in sessions_of(event, published_only=True, include_cancelled=False)
             if s.starts_at >= session.ends_at and s.id != session.id]
    same_room = [s for s in later if session.room_id is not None and s.room_id == session.room_id]
    found = same_room or later
    return found[0] if found else None


@bp.get("/stage/<int:session_id>/room-feed")
def room_feed(session_id: int):
    session, event, stage = _session(session_id)
    if access.key_holder(stage, request.args.get("key"), room_feed=True) is None:
        abort(404)
    return _page("stage/room_feed.html", session=session, event=event, key=stage.screen_key)


@bp.get("/manage/events/<int:event_id>/stage/<int:session_id>")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def console(event_id: int, session_id: int):
    session, _event, stage = _session(session_id)
    if session.event_id != event_id:
        abort(404)
    if not access.is_stage_manager(current_user, session):
        abort(403)
    return _page("stage/console.html", session=session, event=g.event, stage=stage, key=stage.screen_key)


@bp.get("/e/<slug>/panelist/<token>/stage/<int:session_id>")
def panelist_stage(slug: str, token: str, session_id: int):
    event = db.session.scalar(db.select(Event).where(Event.slug == slug)) if "\x00" not in slug else None
    panelist = pan.panelist_from_token(token, event) if event is not None else None
    session = get_by_id(AgendaSession, session_id)
    if panelist is None or session is None or not access.panelist_on_session(panelist, session):
        abort(404)  # one answer for expired, revoked, foreign or not on this panel
    _session(session_id)
    return _page("stage/panelist.html", session=session, event=event, panelist=panelist, token=token,
                 zone=panelist.timezone, day=to_zone(session.starts_at, panelist.timezone).date())


@bp.get("/t/<code>/stage/<int:session_id>")
def attendee(code: str, session_id: int):
    """A ticket holder's stage page: the session's stage (a staged kind's, made with the session), 404 for a session
    without one. A ticket's pages and emails offer "watch the stage" for the sessions that have one
    (eventhub.registration.journey)."""
    holder = access.ticket_holder(code)
    session = get_by_id(AgendaSession, session_id)
    if holder is None or session is None or session.event_id != holder.event_id or not session.is_published \
            or session.is_cancelled or svc.find_stage(session) is None:
        abort(404)
    event = db.session.get(Event, session.event_id)
    if event is None:
        abort(404)
    settings = qa_services.get_settings(session)  # the Q&A beside the stage
    return _page("stage/attendee.html", session=session, event=event, ticket=code, settings=settings,
                 participant_name=holder.name, signed_in=False,
                 join_url=url_for("qa.join", code=settings.short_code, _external=True))
