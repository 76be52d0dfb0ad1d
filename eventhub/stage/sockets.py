"""The /stage namespace: who is on the stage, what the screen shows, join credentials, client reports.

who (authenticated on connect: session cookie, panelist link, ticket, or the stage key of the screen and room
feed) → may they (the role re-checked on every manager action) → payload schema → service → commit → broadcast
after the commit → ack. A client (re)joining with `since` gets what it missed, else a snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_socketio import join_room

from eventhub.auth.models import User
from eventhub.auth.services import live_account
from eventhub.core import revocations
from eventhub.core.errors import Forbidden, NotFound, ValidationFailed
from eventhub.core.live import LiveNamespace, ok, parse_payload
from eventhub.extensions import db, socketio
from eventhub.floor.channels import CHANNEL_REVOKED, channel_from_token
from eventhub.floor.speeches import finish_own_turn
from eventhub.qa import participants as pt
from eventhub.schedule.models import AgendaSession, Panelist
from eventhub.stage import access, credentials, schemas, throttle, upkeep
from eventhub.stage import broadcast as bc
from eventhub.stage import services as svc
from eventhub.stage.models import Stage, StageParticipant, StageRole
from eventhub.stage.snapshot import snapshot

NAMESPACE = bc.NAMESPACE


@dataclass
class Conn:
    user_id: int | None = None
    session_version: int | None = None
    panelist: access.Holder | None = None
    attendee: access.Holder | None = None
    interpreter: access.Holder | None = None  # hears the floor of one session (their channel's)
    interpreter_session_id: int | None = None
    key: str | None = None
    roles: dict[int, StageRole] = field(default_factory=dict)  # session id → role it joined with
    publishing: dict[int, int] = field(default_factory=dict)  # stage id → its StageParticipant id
    reported: dict[int, datetime] = field(default_factory=dict)  # stage id → when this socket last reported


_conns: dict[str, Conn] = {}


def _sid() -> str:
    return str(getattr(request, "sid", ""))


def _refuse(code: str) -> ConnectionRefusedError:
    return ConnectionRefusedError(code, {"code": code})


def _conn() -> Conn:
    conn = _conns.get(_sid())
    if conn is None:
        raise Forbidden("not_connected", _("Reconnect to take part."))
    return conn


def _user(conn: Conn) -> User | None:
    if conn.user_id is None:
        return None
    try:
        return live_account(conn.user_id, conn.session_version)
    except Forbidden:
        conn.user_id = None
        raise


def _session_and_stage(session_id: int) -> tuple[AgendaSession, Stage]:
    session = db.session.get(AgendaSession, session_id)
    if session is None:
        raise NotFound("session_not_found", _("No such session."))
    return session, svc.get_stage(session)


def holder_for(conn: Conn, session: AgendaSession, stage: Stage, wanted: str | None) -> access.Holder:
    """The identity this connection acts with on this stage, refused with a stable code."""
    user = _user(conn)
    manager = user is not None and access.is_stage_manager(user, session)
    options: dict[StageRole, access.Holder] = {}
    if manager and user is not None:
        options[StageRole.MANAGER] = access.manager_holder(user)
        options[StageRole.ROOM_FEED] = access.Holder(StageRole.ROOM_FEED, event_id=session.event_id)
        options[StageRole.SCREEN] = access.Holder(StageRole.SCREEN, event_id=session.event_id)
    if conn.key is not None:
        for kind, room_feed in ((StageRole.SCREEN, False), (StageRole.ROOM_FEED, True)):
            holder = access.key_holder(stage, conn.key, room_feed=room_feed)
            if holder is not None:
                options.setdefault(kind, holder)
    panelist = conn.panelist
    if panelist is None and user is not None:
        own = access.account_panelist(user, session)
        if own is not None:
            panelist = access.Holder(StageRole.PANELIST, panelist_id=own.id, event_id=own.event_id, name=own.name)
    if panelist is not None:
        access.require_same_event(panelist, session)
        if not access.panelist_on_session(db.session.get(Panelist, panelist.panelist_id), session):
            raise Forbidden("not_on_this_stage", _("You are not on this session's panel."))
        options[StageRole.PANELIST] = panelist
    if conn.attendee is not None:
        access.require_same_event(conn.attendee, session)
        options[StageRole.ATTENDEE] = conn.attendee
    if conn.interpreter is not None and conn.interpreter_session_id == session.id:
        options[StageRole.INTERPRETER] = conn.interpreter
    if wanted is not None:
        holder = options.get(StageRole(wanted))
        if holder is None:
            if wanted == "manager":
                raise Forbidden("not_stage_manager", _("Only this session's moderators and the organizers may "
                                                       "do this."))
            raise Forbidden("not_on_this_stage", _("You may not take this place on the stage."))
        return holder
    for kind in (StageRole.MANAGER, StageRole.PANELIST, StageRole.ROOM_FEED, StageRole.SCREEN, StageRole.ATTENDEE,
                 StageRole.INTERPRETER):
        if kind in options:
            return options[kind]
    if not session.is_published:
        raise NotFound("session_not_found", _("No such session."))
    raise Forbidden("not_on_this_stage", _("Open the stage with your ticket link, your speaker link or sign in."))


def _manager(conn: Conn, session: AgendaSession) -> User:
    return access.require_stage_manager(_user(conn), session)


def _speaker_identity(conn: Conn, session: AgendaSession) -> tuple[pt.Participant | None, Panelist | None]:
    """Who this connection could be on the session's list of speakers: the ticket's holder, and the panelist of
    the session its link (or its account) names."""
    attendee = conn.attendee.participant if conn.attendee is not None else None
    panelist_id = conn.panelist.panelist_id if conn.panelist is not None else None
    # A ticket's holder is not asked for an account: a stale sign-in in the same browser must not refuse them.
    if panelist_id is None and attendee is None and (own := access.account_panelist(_user(conn), session)):
        panelist_id = own.id
    panelist = db.session.get(Panelist, panelist_id) if panelist_id is not None else None
    return attendee, panelist if access.panelist_on_session(panelist, session) else None


def _own_participant(stage: Stage, token: str) -> StageParticipant:
    row = credentials.find_token(stage, token)
    if row is None or row.participant_id is None or row.removed_at is not None:
        raise Forbidden("token_expired", _("Your stage access has expired. Join again."))
    p = db.session.get(StageParticipant, row.participant_id)
    if p is None:
        raise Forbidden("token_expired", _("Your stage access has expired. Join again."))
    return p


def _who() -> str:
    conn = _conns.get(_sid()) or Conn()
    return throttle.identity(user_id=conn.user_id, sid=_sid(), key=conn.key,
                             panelist_id=conn.panelist.panelist_id if conn.panelist else None,
                             registration_id=conn.attendee.registration_id if conn.attendee else None)


limited = throttle.limited(_who)


class StageNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        conn = Conn()
        if current_user.is_authenticated:
            user = db.session.get(User, current_user.id)
            if user is not None:
                conn.user_id, conn.session_version = user.id, user.session_version
        if "panelist_token" in auth:
            conn.panelist = access.panelist_holder(auth["panelist_token"])
            if conn.panelist is None:
                raise _refuse("invalid_link")
        if "ticket" in auth:
            conn.attendee = access.ticket_holder(auth["ticket"]) if isinstance(auth["ticket"], str) else None
            if conn.attendee is None:
                raise _refuse("invalid_ticket")
        if "interpreter_token" in auth:  # the floor's personal link of an interpretation channel
            channel = channel_from_token(auth["interpreter_token"])
            session = db.session.get(AgendaSession, channel.session_id) if channel is not None else None
            if channel is None or session is None:
                raise _refuse("invalid_link")
            conn.interpreter = access.Holder(StageRole.INTERPRETER, event_id=session.event_id,
                                             name=channel.interpreter_name or channel.language,
                                             channel_id=channel.id)
            conn.interpreter_session_id = session.id
            revocations.ensure_running(current_app._get_current_object())  # type: ignore[attr-defined]
        if "key" in auth:
            if not isinstance(auth["key"], str) or len(auth["key"]) > 100:
                raise _refuse("invalid_key")
            conn.key = auth["key"]
        _conns[_sid()] = conn
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        """A publisher's socket dropping is the managers' first sign of a network drop: "reconnecting" until the
        page reports again (or "offline" once its token expires)."""
        conn = _conns.pop(_sid(), None)
        if conn is None or not conn.publishing:
            return
        # In a task of its own, with its own app context and session: python-socketio runs a dead socket's
        # disconnect inside whatever emit found it dead, which may be the after-commit broadcast of another
        # handler (or disconnect) still committing on this very session.
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.socketio.start_background_task(upkeep.mark_reconnecting, app, dict(conn.publishing), dict(conn.reported))

    @limited
    def on_join(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.JoinIn, payload)
        session, stage = _session_and_stage(data.session_id)
        holder = holder_for(conn, session, stage, data.role)
        manager = holder.kind == StageRole.MANAGER
        join_room(bc.managers_room(session.id) if manager else bc.stage_room(session.id))
        conn.roles[session.id] = holder.kind
        seq = bc.current_seq(stage.id)
        if data.since is not None:
            missed = bc.missed(stage, data.since, manager=manager)
            if missed is not None:
                return ok({"seq": seq, "role": holder.kind.value, "missed": missed})
        return ok({"seq": seq, "role": holder.kind.value,
                   "snapshot": snapshot(stage, session, manager=manager, holder=holder)})

    @limited
    def on_credentials(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.CredentialsIn, payload)
        session, stage = _session_and_stage(data.session_id)
        holder = holder_for(conn, session, stage, data.role)
        creds = credentials.issue(stage, holder, publish=data.publish, media=svc.media_backend())
        if creds["participant_id"] is not None:
            join_room(bc.participant_room(session.id, creds["participant_id"]))
            if data.publish:
                conn.publishing[stage.id] = creds["participant_id"]
        return ok(creds)

    @limited
    def on_heartbeat(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.TokenIn, payload)
        _session, stage = _session_and_stage(data.session_id)
        row = credentials.heartbeat(stage, data.token)
        expires = row.expires_at.isoformat()
        return ok({"expires_at": expires})

    @limited
    def on_leave(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.TokenIn, payload)
        _session, stage = _session_and_stage(data.session_id)
        credentials.leave(stage, data.token, media=svc.media_backend())
        return ok()

    @limited
    def on_report(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.ReportIn, payload)
        _session, stage = _session_and_stage(data.session_id)
        credentials.heartbeat(stage, data.token)
        p = _own_participant(stage, data.token)
        if (conn := _conns.get(_sid())) is not None:
            # Only publishers report. A process started after their `credentials` (an app restart) learns here
            # that this socket publishes, so its drop still shows "reconnecting" to the managers.
            conn.publishing.setdefault(stage.id, p.id)
        svc.report(stage, p, connection=data.connection, quality=data.quality.model_dump(exclude_none=True))
        if conn is not None and p.reported_at is not None:
            conn.reported[stage.id] = p.reported_at
        return ok()

    @limited
    def on_self_mute(self, payload: Any = None) -> dict:
        data = parse_payload(schemas.SelfMuteIn, payload)
        _session, stage = _session_and_stage(data.session_id)
        p = svc.self_mute(stage, _own_participant(stage, data.token), data.muted)
        view = bc.participant_view(p)
        return ok({"participant": bc.public_participant(view)})

    @limited
    def on_finish_turn(self, payload: Any = None) -> dict:
        """"I've finished": the speaker — by their ticket, panelist link or account — ends their own turn; the
        floor's service refuses anyone else (`not_your_turn`), managers included (they end it from the console)."""
        conn = _conn()
        data = parse_payload(schemas.SessionIn, payload)
        session, _stage = _session_and_stage(data.session_id)
        attendee, panelist = _speaker_identity(conn, session)
        speech = finish_own_turn(session, by_attendee=attendee, by_panelist=panelist)
        return ok({"speech_id": speech.id})

    @limited
    def on_manage(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.ManageIn, payload)
        session, stage = _session_and_stage(data.session_id)
        user = _manager(conn, session)
        result = perform(stage, user, data.action, data.participant_id)
        return ok(result)


def perform(stage: Stage, user: User, action: str, participant_id: int | None) -> dict[str, Any]:
    """One manager action by name (the console's buttons); returns the changed views."""
    media = svc.media_backend()
    if action in ("open", "go_live", "end", "show_question", "hide_question"):
        if action == "open":
            svc.open_stage(stage, by=user, media=media)
        elif action == "go_live":
            svc.go_live(stage, by=user)
        elif action == "end":
            svc.end_stage(stage, by=user, media=media)
        else:
            svc.show_question(stage, action == "show_question", by=user)
        return {"stage": bc.stage_view(stage)}
    if participant_id is None:
        if action == "unspotlight":
            svc.spotlight(stage, None, by=user)
            return {"stage": bc.stage_view(stage)}
        access.require_stage_manager(user, svc.session_of(stage))
        raise ValidationFailed("invalid_payload", _("Say who: participant_id is missing."),
                               fields={"participant_id": ["required"]})
    p = svc.get_participant(stage, participant_id)
    if action == "bring_live":
        svc.bring_live(stage, p, by=user)
    elif action == "send_backstage":
        svc.send_backstage(stage, p, by=user)
    elif action in ("mute", "unmute"):
        svc.mute(stage, p, action == "mute", by=user, media=media)
    elif action == "remove":
        svc.remove(stage, p, by=user, media=media)
    elif action in ("spotlight", "unspotlight"):
        svc.spotlight(stage, p if action == "spotlight" else None, by=user)
    else:
        svc.allow_screen_share(stage, p, action == "allow_screen", by=user)
    return {"stage": bc.stage_view(stage), "participant": bc.participant_view(p)}


def cut_off_interpreter(kind: str, ident: int) -> None:
    """An interpreter link was revoked (this process or another announced it): the floor they hear through this
    namespace ends now (their Janus tokens are already removed by the floor's receiver)."""
    if kind != CHANNEL_REVOKED:
        return
    for sid, conn in list(_conns.items()):
        if conn.interpreter is not None and conn.interpreter.channel_id == ident:
            socketio.server.disconnect(sid, namespace=NAMESPACE)


def register_namespace() -> StageNamespace:
    revocations.on_revoked(cut_off_interpreter)
    return StageNamespace(NAMESPACE)
