"""The /qa namespace (docs/qa-protocol.md): live questions, votes and polls.

who (authenticated on connect: ticket, anonymous participant key, panelist link or session cookie) → may they
(moderator rights re-checked against the user's session_version on every moderator action) → payload schema →
service → commit → broadcast after the commit → ack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user, user_logged_out
from flask_socketio import ConnectionRefusedError as SocketRefused
from flask_socketio import join_room, leave_room

from eventhub import signals
from eventhub.auth.models import User
from eventhub.auth.services import live_account
from eventhub.core import revocations
from eventhub.core.errors import Forbidden, NotFound
from eventhub.core.live import LiveNamespace, attach, disconnect_after_commit, ok, parse_payload
from eventhub.core.loops import register_loop
from eventhub.extensions import db, socketio
from eventhub.qa import ballots, polls, schemas, services
from eventhub.qa import broadcast as bc
from eventhub.qa import participants as pt
from eventhub.qa.coalesce import RightsSweep, VoteFlush, coalescer
from eventhub.registration.models import Registration, RegistrationStatus, Ticket
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession

NAMESPACE = bc.NAMESPACE


@dataclass
class Conn:
    participant: pt.Participant | None
    user_id: int | None = None
    session_version: int | None = None
    panelist_id: int | None = None
    panelist_event_id: int | None = None
    panelist_token: str | None = None  # re-checked by the sweep: a revoked or renewed link ends the connection
    moderating: set[int] = field(default_factory=set)


# Per process: the connections of this process, and which of them belong to which user (for logout).
_conns: dict[str, Conn] = {}
_user_sids: dict[int, set[str]] = {}


def _refusal_message(code: str) -> str:
    messages = {
        pt.INVALID_TICKET: _("This ticket link is not valid."),
        pt.TICKET_REVOKED: _("This ticket was revoked or replaced by a newer one."),
        pt.REGISTRATION_CANCELLED: _("This registration was cancelled."),
        "invalid_participant": _("This participant key is not valid."),
        "invalid_link": _("This personal link is no longer valid."),
    }
    return messages.get(code, _("This link is not valid for the Q&A."))


def _refuse(code: str) -> SocketRefused:
    """Socket.IO's refusal (the client's `connect_error` gets `{"code", "message"}` as its data); Python's
    built-in ConnectionRefusedError was raised before, which python-socketio does not know: no reason reached
    the browser, so it never forgot a stale ticket."""
    message = _refusal_message(code)
    return SocketRefused(message, {"code": code, "message": message})


def _conn() -> Conn:
    conn = _conns.get(request.sid)
    if conn is None:
        raise Forbidden("not_connected", _("Reconnect to take part."))
    return conn


def _drop_moderation(sid: str, conn: Conn) -> None:
    for session_id in conn.moderating:
        socketio.server.leave_room(sid, bc.moderators_room(session_id), namespace=NAMESPACE)
    conn.moderating.clear()


def _current_user(conn: Conn) -> User | None:
    """The connection's user, re-read: a bumped session_version (logout everywhere, role removed, new password)
    ends the live rights of the connection."""
    if conn.user_id is None:
        return None
    try:
        return live_account(conn.user_id, conn.session_version)
    except Forbidden:
        _drop_moderation(request.sid, conn)
        conn.user_id = None
        raise


def _moderator(conn: Conn, session: AgendaSession) -> User:
    user = _current_user(conn)
    if not services.is_moderator(user, session):
        if session.id in conn.moderating:
            leave_room(bc.moderators_room(session.id))
            conn.moderating.discard(session.id)
        services.require_moderator(user, session)
    return user


def _session(session_id: int, conn: Conn) -> tuple[AgendaSession, bool]:
    """(session, is the connection a moderator of it). Unknown, unpublished, a draft event's, and — for a ticket
    or panelist link, which open one event — another event's sessions all answer the same `session_not_found`,
    so session ids cannot be enumerated over the socket."""
    session = db.session.get(AgendaSession, session_id) if services.valid_id(session_id) else None
    if session is None:
        raise services.session_not_found()
    if conn.user_id is not None and services.is_moderator(_current_user(conn), session):
        return session, True
    participant = conn.participant
    foreign = (participant is not None and participant.kind == "ticket"
               and participant.event_id != session.event_id) or \
        (conn.panelist_event_id is not None and conn.panelist_event_id != session.event_id)
    if foreign or not services.is_public(session):
        raise services.session_not_found()
    return session, False


def _visible(session_id: int, conn: Conn, not_found: NotFound) -> AgendaSession:
    """The session of a question or poll, or `not_found` (the question's or poll's own code) where `_session`
    would answer session_not_found."""
    try:
        return _session(session_id, conn)[0]
    except NotFound:
        raise not_found from None


class QaNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        user = db.session.get(User, current_user.id) if current_user.is_authenticated else None
        conn = Conn(participant=None)
        if user is not None:
            conn.user_id, conn.session_version = user.id, user.session_version
        if "ticket" in auth:
            conn.participant, refusal = pt.check_ticket(auth["ticket"])
            if conn.participant is None:
                raise _refuse(refusal)
        elif "participant" in auth:
            conn.participant = pt.from_anonymous_key(auth["participant"])
            if conn.participant is None:
                raise _refuse("invalid_participant")
        elif "panelist_token" in auth:
            token = auth["panelist_token"]
            panelist = pan.panelist_from_token(token) if isinstance(token, str) else None
            if panelist is None:
                raise _refuse("invalid_link")
            conn.panelist_id, conn.panelist_event_id = panelist.id, panelist.event_id
            conn.panelist_token = token
        elif user is not None:
            conn.participant = pt.from_user(user)
        # Nobody at all: a read-only viewer (the projector screen, a public page).
        _conns[request.sid] = conn
        if conn.user_id is not None:
            _user_sids.setdefault(conn.user_id, set()).add(request.sid)
        revocations.ensure_running(current_app._get_current_object())
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        conn = _conns.pop(request.sid, None)
        if conn is not None and conn.user_id is not None:
            sids = _user_sids.get(conn.user_id, set())
            sids.discard(request.sid)
            if not sids:
                _user_sids.pop(conn.user_id, None)

    def on_join(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.JoinIn, payload)  # a malformed join costs nothing: not counted
        services.check_join_rate(request.sid, request.remote_addr)
        session, moderator = _session(data.session_id, conn)
        participant = conn.participant
        if not moderator:
            services.check_viewer(session, participant, panelist_event_id=conn.panelist_event_id)
        # Join the rooms first, then read: anything committed meanwhile arrives twice at worst (clients upsert).
        if moderator:
            join_room(bc.moderators_room(session.id))
            conn.moderating.add(session.id)
            coalescer.ensure_started(current_app._get_current_object())  # also runs the rights sweep
        else:
            join_room(bc.session_room(session.id))
            if participant is not None:
                join_room(bc.participant_room(session.id, participant.key))
        panelist_id = None
        if conn.panelist_id is not None and services.on_panel(session.id, conn.panelist_id):
            panelist_id = conn.panelist_id
            join_room(bc.panelist_room(session.id, panelist_id))
        seq = bc.current_seq(session.id)
        if data.since is not None:
            missed = bc.missed(session.id, data.since, moderator=moderator,
                               key=participant.key if participant else None)
            if missed is not None:
                return ok({"seq": seq, "missed": missed, **services.catch_up(session.id, moderator=moderator)})
        return ok({"seq": seq, "snapshot": services.snapshot(session, moderator=moderator, participant=participant,
                                                             panelist_id=panelist_id)})

    def on_ask(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.AskIn, payload)
        session, _moderator_flag = _session(data.session_id, conn)
        participant = conn.participant
        anonymous_key = participant is not None and participant.kind == "anonymous"
        question = services.ask(session, participant, data.text, anonymous=data.anonymous,
                                source=pt.source_label(request.remote_addr),
                                busy_source=anonymous_key and pt.busy_address(request.remote_addr))
        return ok({"question": bc.author_question(bc.question_view(question))})

    def on_vote(self, payload: Any = None) -> dict:
        """Counted with the other votes arriving meanwhile (eventhub.qa.ballots): the handler touches no database
        connection itself, and its ack leaves once the batch is committed."""
        conn = _conn()
        data = parse_payload(schemas.VoteIn, payload)
        ballot = ballots.Ballot(data.question_id, data.up, ballots.Voter(
            conn.participant, user_id=conn.user_id, session_version=conn.session_version,
            panelist_event_id=conn.panelist_event_id))
        try:
            return ok(ballots.ballot_box(current_app._get_current_object()).cast(ballot))
        except Forbidden as exc:
            if exc.code == "session_ended":  # as `_current_user` does: the connection's sign-in is over
                _drop_moderation(request.sid, conn)
                conn.user_id = None
            raise

    def on_moderate(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.ModerateIn, payload)
        question = services.get_question(data.question_id)
        user = _moderator(conn, db.session.get(AgendaSession, question.session_id))
        changed = services.moderate(question, data.action, by=user, reason=data.reason, text=data.text,
                                    into_id=data.into_id, panelist_id=data.panelist_id)
        views = [bc.question_view(q) for q in changed]
        return ok({"question": views[0], "changed": views})

    def on_settings(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.SettingsIn, payload)
        session, _moderator_flag = _session(data.session_id, conn)
        _moderator(conn, session)
        settings = services.update_settings(services.get_settings(session), moderation=data.moderation,
                                            is_open=data.open, anonymous_allowed=data.anonymous_allowed)
        view = bc.settings_view(settings)
        return ok({"settings": view})

    def on_poll(self, payload: Any = None) -> dict:
        conn = _conn()
        command = parse_payload(schemas.PollIn, payload).root
        if isinstance(command, schemas.PollCreateIn):
            session, _moderator_flag = _session(command.session_id, conn)
            _moderator(conn, session)
            poll = polls.create_poll(session, command.question, command.options, multiple=command.multiple)
        else:
            poll = polls.get_poll(command.poll_id)
            _moderator(conn, db.session.get(AgendaSession, poll.session_id))
            poll = polls.set_state(poll, command.action)
        view = bc.poll_view(poll)
        results_changed = isinstance(command, schemas.PollStateIn) and command.action == "show_results"
        session_id, poll_id = poll.session_id, poll.id
        if results_changed:
            coalescer.mark_poll(current_app._get_current_object(), session_id, poll_id)
        return ok({"poll": view})

    def on_poll_vote(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.PollVoteIn, payload)
        poll = polls.get_poll(data.poll_id)
        _visible(poll.session_id, conn, NotFound("poll_not_found", _("No such poll.")))
        poll = polls.vote(poll, conn.participant, data.option_ids)
        session_id, poll_id = poll.session_id, poll.id
        result = {"poll_id": poll_id, "option_ids": sorted(set(data.option_ids))}
        coalescer.mark_poll(current_app._get_current_object(), session_id, poll_id)
        return ok(result)


# --- ending live rights ---------------------------------------------------------------------------------------

def _on_logout(sender: Flask, user: Any = None, **_kw: Any) -> None:
    """Signing out ends the user's live connections on this process (other processes: the rights sweep)."""
    user_id = getattr(user, "id", None)
    disconnect_after_commit(list(_user_sids.get(user_id, ())), NAMESPACE)


def _sweep_rights() -> None:
    """Moderators whose session ended or whose role was removed lose the moderators' room within seconds."""
    for sid, conn in list(_conns.items()):
        if not conn.moderating:
            continue
        user = db.session.get(User, conn.user_id) if conn.user_id is not None else None
        valid = user is not None and user.is_active_account and user.session_version == conn.session_version
        sessions = [db.session.get(AgendaSession, sid_) for sid_ in conn.moderating]
        if not valid or not all(s is not None and services.is_moderator(user, s) for s in sessions):
            socketio.server.disconnect(sid, namespace=NAMESPACE)


def _end(sid: str) -> None:
    """Disconnect, on whichever process holds the socket (python-socketio forwards it through the queue). The
    page tries once to reconnect and is then refused with the reason (e.g. `ticket_revoked`)."""
    socketio.server.disconnect(sid, namespace=NAMESPACE)


def _on_ticket_revoked(ticket: Any, reason: str = "", **_kw: Any) -> None:
    revocations.announce_after_commit("ticket", ticket.id)


def _on_registration_cancelled(event: Any, registration: Any = None, **_kw: Any) -> None:
    if registration is not None:
        revocations.announce_after_commit("registration", registration.id)


def _cut_off(kind: str, ident: int) -> None:
    """A ticket or registration died (this process or another one announced it): its connections here end now."""
    for sid, conn in list(_conns.items()):
        p = conn.participant
        if p is None or p.kind != "ticket":
            continue
        if (kind == "ticket" and p.ticket_id == ident) or (kind == "registration" and p.registration_id == ident):
            _end(sid)


def _sweep_credentials() -> None:
    """The backstop (every process, every few seconds): ticket holders whose ticket is no longer live, signed-in
    participants whose sign-in ended, panelists whose link was revoked, whatever changed the database."""
    ticket_ids = {c.participant.ticket_id for c in _conns.values()
                  if c.participant is not None and c.participant.ticket_id is not None}
    live = set(db.session.scalars(
        db.select(Ticket.id).join(Registration, Ticket.registration_id == Registration.id).where(
            Ticket.id.in_(ticket_ids), Ticket.revoked_at.is_(None),
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED))))) \
        if ticket_ids else set()
    for sid, conn in list(_conns.items()):
        p = conn.participant
        if p is not None and p.ticket_id is not None and p.ticket_id not in live:
            _end(sid)
        elif conn.user_id is not None:
            user = db.session.get(User, conn.user_id)
            if user is None or not user.is_active_account or user.session_version != conn.session_version:
                _end(sid)
        elif conn.panelist_token is not None and pan.panelist_from_token(conn.panelist_token) is None:
            _end(sid)


def _on_session_saved(sender: AgendaSession, created: bool = False, **_kw: Any) -> None:
    """Every session has its Q&A settings from its creation (whatever its kind: every one has a live page)."""
    if created:
        services.create_settings(sender)


def register(app: Flask) -> None:
    attach(QaNamespace(NAMESPACE))
    ballots.install(app)
    user_logged_out.connect(_on_logout)
    register_loop(app, VoteFlush(app))
    register_loop(app, RightsSweep(app, [_sweep_rights]))
    signals.session_saved.connect(_on_session_saved)
    signals.ticket_revoked.connect(_on_ticket_revoked)
    signals.registration_cancelled.connect(_on_registration_cancelled)
    revocations.on_revoked(_cut_off)
    revocations.add_sweeper(_sweep_credentials)

