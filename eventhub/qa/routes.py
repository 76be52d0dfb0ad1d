"""Q&A pages: the attendee's page (by ticket link, signed in, or anonymous where allowed), the short join link and
its QR code, the projector screen, and the moderators' console. Everything live goes through the /qa namespace."""

from __future__ import annotations

import hashlib
import json
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.core.errors_web import error_body, json_view
from eventhub.core.urls import external_url
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.qa import participants as pt
from eventhub.qa import services
from eventhub.qa.models import QaSettings
from eventhub.registration import remember
from eventhub.registration import services as reg_services
from eventhub.registration.journey import StageLink, stage_link, staged_sessions
from eventhub.schedule.models import AgendaSession
from eventhub.schedule.services import sessions_of
from eventhub.tickets import qr

bp = Blueprint("qa", __name__)


@bp.app_template_global("qa_strings")
def qa_strings() -> dict[str, str]:
    """The Q&A scripts' words, translated here and handed over in a data attribute (no inline script)."""
    return {
        "live": _("Live"), "offline": _("Offline — reconnecting…"), "refused": _("This link is not valid for the Q&A."),
        "anonymous": _("Anonymous"), "pending": _("Waiting for moderation"), "rejected": _("Not selected"),
        "answered": _("Answered"), "pinned": _("On screen"), "archived": _("Archived"), "approved": _("Approved"),
        "vote": _("Upvote"), "votes": _("votes"), "voters": _("Voters:"), "poll_vote": _("Vote"),
        "poll_thanks": _("Thank you, your vote is counted."), "poll_closed": _("This poll is closed."),
        "no_questions": _("No questions yet. Be the first!"),
        "sent": _("Sent. Your question is visible to you while it waits for moderation."),
        "sent_open": _("Sent."), "closed": _("Questions are closed for this session."),
        "approve": _("Approve"), "reject": _("Reject"), "reason": _("Reason (optional, shown to the author):"),
        "pin": _("Put on screen"), "unpin": _("Take off screen"), "answer": _("Answered"), "archive": _("Archive"),
        "edit": _("Edit"), "edit_prompt": _("Correct the question:"), "merge": _("Merge into…"),
        "address": _("Address to…"), "nobody": _("Nobody"), "open": _("Open"), "close": _("Close"),
        "show_results": _("Show results"), "hide_results": _("Hide results"), "draft": _("Prepared"),
        "busy_source": _("Many anonymous participants from this network"),
        "for_you": _("For you"), "merged": _("Merged"), "merged_into": _("Merged into"), "by": _("by"),
        "reason_label": _("Reason:"),
        # A poll's state on the console (not the button verbs "open"/"close", not the Q&A's "closed" notice).
        "poll_state_draft": _("Prepared: not shown yet"), "poll_state_open": _("Voting now"),
        "poll_state_closed": _("Voting ended"),
    }


_CSRF_VALUE = re.compile(rb'name="csrf_token" value="[^"]*"')
ATTENDEE_KEYS = ("live", "offline", "refused", "anonymous", "pending", "rejected", "answered", "pinned", "merged",
                 "merged_into", "vote", "voters", "poll_vote", "poll_thanks", "poll_closed", "no_questions", "sent",
                 "sent_open", "closed")


@bp.app_template_global("qa_strings_json")
def qa_strings_json(*keys: str) -> Markup:
    """The Q&A words (only `keys` when given) as JSON for a single-quoted data attribute: UTF-8 rather than \\u
    escapes (half the bytes on French pages), with &, ', < and > escaped so nothing ends the attribute."""
    strings = qa_strings()
    if keys:
        strings = {k: strings[k] for k in keys}
    text = json.dumps(strings, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    text = text.replace("&", "&amp;").replace("'", "&#39;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(text)  # noqa: S704 (escaped on the line above)


def _public_session(session_id: int) -> tuple[AgendaSession, Event, QaSettings]:
    session = services.get_session(session_id)  # NotFound: 404
    event = db.session.get(Event, session.event_id)
    if event is None or event.status == EventStatus.DRAFT:
        abort(404)
    settings = services.get_settings(session)  # made with the session: a read
    return session, event, settings


def _join_url(settings: QaSettings) -> str:
    return external_url("qa.join", code=settings.short_code)


def _attendee_page(session: AgendaSession, event: Event, settings: QaSettings, *, ticket: str | None,
                   participant_name: str | None, remembered: str = "none", stage: StageLink | None = None):
    """`stage`: the session's stage for a ticket that may watch it (a link beside the questions)."""
    response = make_response(render_template(
        "qa/attendee.html", session=session, event=event, settings=settings, ticket=ticket,
        participant_name=participant_name, join_url=_join_url(settings), remembered=remembered,
        attendee_keys=ATTENDEE_KEYS, stage_link=stage,
        signed_in=current_user.is_authenticated and ticket is None))
    # Kept by this browser only (private), and revalidated every time (no-cache): a repeat visit with nothing
    # changed is a 304 of a few hundred bytes. The ETag ignores the CSRF token, which differs on every render but
    # stays valid (WTF_CSRF_TIME_LIMIT is None), so the cached copy's token still works.
    body = response.get_data()
    response.set_etag(hashlib.sha256(_CSRF_VALUE.sub(b"", body)).hexdigest()[:32])
    response.headers["Cache-Control"] = "private, no-cache"
    return response.make_conditional(request)


@bp.get("/qa/<int:session_id>")
def attendee(session_id: int):
    """The page the projected QR code and short link open: a ticket this browser opened before (the signed
    cookie, re-checked against the ticket now) takes part as its holder; else the signed-in user; else anonymous
    where the session allows it."""
    session, event, settings = _public_session(session_id)
    recalled = remember.recall(request.cookies.get(remember.cookie_name(event.id)), event.id)
    if recalled.ticket is not None:
        ticket = recalled.ticket
        return _attendee_page(session, event, settings, ticket=ticket.code,
                              participant_name=ticket.registration.name, remembered="ok",
                              stage=stage_link(ticket, session))
    name = current_user.name if current_user.is_authenticated else None
    response = _attendee_page(session, event, settings, ticket=None, participant_name=name,
                              remembered=recalled.state)
    if recalled.state != "none":
        remember.forget(response, event.id)  # forged, or the ticket was cancelled, revoked or re-issued
    return response


@bp.get("/t/<code>/qa/<int:session_id>")
def attendee_ticket(code: str, session_id: int):
    participant = pt.from_ticket(code)
    session, event, settings = _public_session(session_id)
    if participant is None or participant.event_id != session.event_id:
        abort(404)
    ticket = reg_services.find_ticket(code)
    response = _attendee_page(session, event, settings, ticket=code, participant_name=participant.name,
                              remembered="ok", stage=stage_link(ticket, session))
    if remember.recall(request.cookies.get(remember.cookie_name(event.id)), event.id).ticket != ticket:
        remember.remember(response, ticket, secure=request.is_secure)
    return response


@bp.get("/q/<code>")
def join(code: str):
    settings = services.settings_by_short_code(code)
    if settings is None:
        abort(404)
    return redirect(url_for("qa.attendee", session_id=settings.session_id))


@bp.get("/qa/<int:session_id>/qr.svg")
def join_qr(session_id: int):
    _session, _event, settings = _public_session(session_id)
    return Response(qr.svg(_join_url(settings)), mimetype="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})


@bp.get("/qa/<int:session_id>/participant")
@json_view
def participant_key(session_id: int):
    """A signed key an anonymous participant's browser keeps, where the session allows anonymous participation."""
    session, _event, settings = _public_session(session_id)
    if not settings.anonymous_allowed:
        message = _("This session does not take anonymous participants: use your ticket link.")
        return jsonify(error_body("anonymous_not_allowed", message)), 409
    cookie = pt.device_cookie(session.id)
    key = pt.mint_anonymous_key(session.id, device_key=request.cookies.get(cookie), address=request.remote_addr)
    if key is None:
        message = _("Too many anonymous participants from your network. Use your ticket link or try later.")
        return jsonify(error_body("too_many_participants", message)), 429
    response = jsonify({"participant": key})
    response.headers["Cache-Control"] = "no-store"
    # The device keeps its key even if the page's storage is cleared: one device, one participant.
    response.set_cookie(cookie, key, max_age=7 * 24 * 3600, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"],
                        path=url_for("qa.participant_key", session_id=session.id))
    return response


@bp.get("/qa/<int:session_id>/screen")
def screen(session_id: int):
    session, event, settings = _public_session(session_id)
    return render_template("qa/screen.html", session=session, event=event, settings=settings,
                           join_url=_join_url(settings), qr_svg=qr.svg(_join_url(settings)))


@bp.get("/manage/events/<int:event_id>/qa")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def manage_index(event_id: int):
    sessions = sessions_of(g.event, include_cancelled=False)
    return render_template("qa/manage_index.html", event=g.event, sessions=sessions,
                           staged=staged_sessions(g.event, [s.id for s in sessions]))


@bp.get("/manage/events/<int:event_id>/qa/<int:session_id>")
@event_role_required(Role.ORGANIZER, Role.MODERATOR)
def console(event_id: int, session_id: int):
    session = services.get_session(session_id, published_only=False)  # NotFound: 404
    if session.event_id != event_id:
        abort(404)
    settings = services.get_settings(session)
    panelists = [{"id": sp.panelist.id, "name": sp.panelist.name} for sp in session.panelists]
    return render_template("qa/console.html", event=g.event, session=session, settings=settings,
                           join_url=_join_url(settings), panelists=panelists)
