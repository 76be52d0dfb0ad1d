"""The /floor namespace: the list of speakers, the timers, raised hands and interpretation channels, live.

who (authenticated on connect: ticket, anonymous Q&A participant key, panelist link, interpreter link or session
cookie) → may they (moderator rights re-read on every moderator action) → payload schema → service → commit →
broadcast after the commit → ack. A reconnecting client joins with `since` and gets what it missed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, current_app, request
from flask_babel import gettext as _
from flask_login import current_user, user_logged_out
from flask_socketio import join_room

from eventhub import signals
from eventhub.auth.models import User
from eventhub.auth.services import live_account
from eventhub.core import revocations
from eventhub.core.errors import Forbidden, NotFound
from eventhub.core.live import LiveNamespace, attach, disconnect_after_commit, ok, parse_payload
from eventhub.core.types import utcnow
from eventhub.extensions import db, socketio
from eventhub.floor import broadcast as bc
from eventhub.floor import channels, hands, interpretation, reporting, schemas, services, speeches
from eventhub.qa import participants as pt
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession, Panelist, SessionPanelist
from eventhub.stage import services as stage_services

NAMESPACE = bc.NAMESPACE


@dataclass
class Conn:
    participant: pt.Participant | None = None
    user_id: int | None = None
    session_version: int | None = None
    panelist_id: int | None = None
    panelist_event_id: int | None = None
    channel_id: int | None = None  # an interpreter's link


# Per process: the connections of this process, and which of them belong to which user (for logout).
_conns: dict[str, Conn] = {}
_user_sids: dict[int, set[str]] = {}


def _refuse(code: str) -> ConnectionRefusedError:
    return ConnectionRefusedError(code, {"code": code})


def _conn() -> Conn:
    conn = _conns.get(request.sid)  # type: ignore[attr-defined]
    if conn is None:
        raise Forbidden("not_connected", _("Reconnect to take part."))
    return conn


def _user(conn: Conn) -> User | None:
    """Re-read: a bumped session_version (signed out everywhere, new password) ends the connection's rights."""
    if conn.user_id is None:
        return None
    try:
        return live_account(conn.user_id, conn.session_version)
    except Forbidden:
        conn.user_id = None
        raise


def _moderator(conn: Conn, session: AgendaSession) -> User:
    return services.require_moderator(_user(conn), session)


def _session(session_id: int, conn: Conn) -> tuple[AgendaSession, bool]:
    session = db.session.get(AgendaSession, session_id)
    if session is None:
        raise NotFound("session_not_found", _("No such session."))
    moderator = conn.user_id is not None and services.is_moderator(_user(conn), session)
    if not moderator and not session.is_published:
        raise NotFound("session_not_found", _("No such session."))
    return session, moderator


def _check_viewer(conn: Conn, session: AgendaSession) -> None:
    p = conn.participant
    if p is not None and p.kind == "ticket" and p.event_id != session.event_id:
        raise Forbidden("wrong_event", _("Your ticket is for another event."))
    if conn.panelist_event_id is not None and conn.panelist_event_id != session.event_id:
        raise Forbidden("wrong_event", _("Your link is for another event."))
    if conn.channel_id is not None:
        channel = db.session.get(channels.Channel, conn.channel_id)
        if channel is None or channel.session_id != session.id:
            raise Forbidden("wrong_session", _("Your link is for another session."))


def _if_current(data: Any) -> speeches.Current:
    """The optimistic check only when the client sent `if_current` (null included)."""
    return data.if_current if "if_current" in data.model_fields_set else speeches.ANY


class FloorNamespace(LiveNamespace):
    def on_connect(self, auth: Any = None) -> bool:
        auth = auth if isinstance(auth, dict) else {}
        user = db.session.get(User, current_user.id) if current_user.is_authenticated else None
        conn = Conn()
        if user is not None:
            conn.user_id, conn.session_version = user.id, user.session_version
        if "ticket" in auth:
            conn.participant = pt.from_ticket(auth["ticket"])
            if conn.participant is None:
                raise _refuse("invalid_ticket")
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
        elif "interpreter_token" in auth:
            channel = channels.channel_from_token(auth["interpreter_token"])
            if channel is None:
                raise _refuse("invalid_link")
            conn.channel_id = channel.id
            revocations.ensure_running(current_app._get_current_object())  # type: ignore[attr-defined]
        elif user is not None:
            conn.participant = pt.from_user(user)
        _conns[request.sid] = conn  # type: ignore[attr-defined]
        if conn.user_id is not None:
            _user_sids.setdefault(conn.user_id, set()).add(request.sid)  # type: ignore[attr-defined]
        return True

    def on_disconnect(self, reason: Any = None) -> None:
        conn = _conns.pop(request.sid, None)  # type: ignore[attr-defined]
        if conn is not None and conn.user_id is not None:
            sids = _user_sids.get(conn.user_id, set())
            sids.discard(request.sid)  # type: ignore[attr-defined]
            if not sids:
                _user_sids.pop(conn.user_id, None)

    def on_join(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.JoinIn, payload)
        session, moderator = _session(data.session_id, conn)
        if not moderator:
            _check_viewer(conn, session)
        services.get_settings(session)
        key = conn.participant.key if conn.participant else None
        if moderator:
            join_room(bc.moderators_room(session.id))
        else:
            join_room(bc.session_room(session.id))
            if key is not None:
                join_room(bc.participant_room(session.id, key))
        panelist_id = None
        if conn.panelist_id is not None and db.session.scalar(db.select(SessionPanelist.id).where(
                SessionPanelist.session_id == session.id, SessionPanelist.panelist_id == conn.panelist_id)):
            panelist_id = conn.panelist_id
        base = {"seq": bc.current_seq(session.id), "server_time": utcnow().isoformat(), "moderator": moderator,
                "panelist_id": panelist_id}
        if conn.channel_id is not None:
            channel = channels.get_channel(conn.channel_id)
            base["interpreter"] = {"channel": channels.channel_view(channel),
                                   "source": channels.interpreter_source(channel)}
        if data.since is not None:
            missed = bc.missed(session.id, data.since, moderator=moderator, key=key)
            if missed is not None:
                return ok({**base, "missed": missed})
        snapshot = {"state": bc.state_view(session.id),
                    "hands": bc.pending_hands(session.id) if moderator else
                    (bc.own_hands(session.id, key) if key else []),
                    "channels": [channels.channel_view(c) for c in channels.channels_of(session.id)]}
        return ok({**base, "snapshot": snapshot})

    # --- moderators -----------------------------------------------------------------------------------------

    def on_add_speaker(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.AddSpeakerIn, payload)
        session, _m = _session(data.session_id, conn)
        speaker = services.add_speaker(session, by=_moderator(conn, session), kind=data.kind,
                                       panelist_id=data.panelist_id, user_id=data.user_id, name=data.name,
                                       delegation_id=data.delegation_id, budget_seconds=data.budget_seconds)
        view = bc.speaker_view(speaker)
        return ok({"speaker": view})

    def _speaker_action(self, payload: Any, model: type[Any], action: Any) -> dict:
        conn = _conn()
        data: Any = parse_payload(model, payload)
        speaker = services.get_speaker(None, data.speaker_id)
        session = services.session_of(speaker.session_id)
        result = action(speaker, _moderator(conn, session), data)
        seq = bc.current_seq(session.id)
        return ok({**(result or {}), "seq": seq})  # the new state itself arrives as the broadcast of that seq

    def on_update_speaker(self, payload: Any = None) -> dict:
        return self._speaker_action(payload, schemas.UpdateSpeakerIn, lambda s, by, d: {"speaker": bc.speaker_view(
            services.update_speaker(s, by=by, delegation_id=d.delegation_id, budget_seconds=d.budget_seconds,
                                    video_allowed=d.video_allowed))})

    def on_remove_speaker(self, payload: Any = None) -> dict:
        return self._speaker_action(payload, schemas.SpeakerIn,
                                    lambda s, by, d: services.remove_speaker(s, by=by))

    def on_move_speaker(self, payload: Any = None) -> dict:
        return self._speaker_action(payload, schemas.MoveIn, lambda s, by, d: services.move_speaker(
            s, by=by, position=d.position, direction=d.direction))

    def on_start(self, payload: Any = None) -> dict:
        return self._speaker_action(payload, schemas.StartIn, lambda s, by, d: {
            "speech_id": speeches.start(s, by=by, if_current=_if_current(d)).id})

    def on_interject(self, payload: Any = None) -> dict:
        return self._speaker_action(payload, schemas.StartIn, lambda s, by, d: {
            "speech_id": speeches.interject(s, by=by, if_current=_if_current(d)).id})

    def _session_action(self, payload: Any, action: Any) -> dict:
        conn = _conn()
        data = parse_payload(schemas.SessionIn, payload)
        session, _m = _session(data.session_id, conn)
        speech = action(session, by=_moderator(conn, session), if_current=_if_current(data))
        result = {"speech_id": speech.id, "seq": bc.current_seq(session.id)}
        return ok(result)

    def on_pause(self, payload: Any = None) -> dict:
        return self._session_action(payload, speeches.pause)

    def on_resume(self, payload: Any = None) -> dict:
        return self._session_action(payload, speeches.resume)

    def on_end(self, payload: Any = None) -> dict:
        return self._session_action(payload, speeches.end)

    def on_settings(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.SettingsIn, payload)
        session, _m = _session(data.session_id, conn)
        settings = services.update_settings(session, by=_moderator(conn, session),
                                            default_budget_seconds=data.default_budget_seconds,
                                            show_timer_on_screen=data.show_timer_on_screen,
                                            hands_open=data.hands_open)
        view = bc.settings_view(settings)
        return ok({"settings": view})

    def on_delegation(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.DelegationIn, payload)
        session, _m = _session(data.session_id, conn)
        d = services.set_delegation(session, by=_moderator(conn, session), name=data.name, country=data.country,
                                    budget_seconds=data.budget_seconds)
        out = {"id": d.id, "name": d.name, "country": d.country or None, "budget_seconds": d.budget_seconds}
        return ok({"delegation": out})

    def on_decide_hand(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.HandDecideIn, payload)
        hand = hands.get_hand(data.hand_id)
        session = services.session_of(hand.session_id)
        speaker = hands.decide(hand, by=_moderator(conn, session), accept=data.accept,
                               video_allowed=data.video_allowed)
        result = {"hand": bc.hand_view(hand), "speaker": bc.speaker_view(speaker) if speaker else None}
        return ok(result)

    # --- attendees ------------------------------------------------------------------------------------------

    def on_raise_hand(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.HandRaiseIn, payload)
        session = services.get_session(data.session_id)
        hand = hands.raise_hand(session, conn.participant, data.topic, in_room=data.in_room)
        view = {**bc.hand_view(hand), "mine": True}
        return ok({"hand": view})

    def on_withdraw_hand(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.HandIn, payload)
        hand = hands.withdraw_hand(hands.get_hand(data.hand_id), conn.participant)
        view = {**bc.hand_view(hand), "mine": True}
        return ok({"hand": view})

    def on_finish_turn(self, payload: Any = None) -> dict:
        """"I've finished" from the live page: someone given the floor in the room (speaking from their seat, their
        phone in hand) hands it back, as the stage page's `finish_turn` does for remote speakers; the same service
        refuses anyone else with `not_your_turn`."""
        conn = _conn()
        data = parse_payload(schemas.SessionIn, payload)
        session = services.get_session(data.session_id)
        # A panelist's link matches only their own speech: one of another event or session never does.
        panelist = db.session.get(Panelist, conn.panelist_id) if conn.panelist_id is not None else None
        speech = speeches.finish_own_turn(session, by_attendee=conn.participant, by_panelist=panelist)
        return ok({"speech_id": speech.id})

    def on_listen(self, payload: Any = None) -> dict:
        """A listener picks a language: the answer says what to subscribe to (the seam for the media layer)."""
        conn = _conn()
        data = parse_payload(schemas.ListenIn, payload)
        session = services.get_session(data.session_id)
        _check_viewer(conn, session)
        listen = channels.listener_source(session, data.language)
        if data.media and listen["channel_id"] is not None:
            listen["media"] = interpretation.listener_media(session, listen["channel_id"], conn.participant,
                                                            media=stage_services.media_backend())
        return ok({"listen": listen})

    # --- interpreters ---------------------------------------------------------------------------------------

    def on_channel_media(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.ChannelMediaIn, payload)
        if conn.channel_id is None:
            raise Forbidden("not_interpreter", _("Only this channel's interpreter may speak into it."))
        channel = channels.get_channel(conn.channel_id)
        if channel.session_id != data.session_id:
            raise Forbidden("wrong_session", _("Your link is for another session."))
        creds = interpretation.interpreter_media(
            channel, media=stage_services.media_backend())
        return ok(creds)

    def on_relay(self, payload: Any = None) -> dict:
        conn = _conn()
        data = parse_payload(schemas.RelayIn, payload)
        if conn.channel_id is None:
            raise Forbidden("not_interpreter", _("Only this channel's interpreter may choose its source."))
        channel = channels.set_relay(channels.get_channel(conn.channel_id), data.source_channel_id)
        result = {"channel": channels.channel_view(channel), "source": channels.interpreter_source(channel)}
        return ok(result)


def _on_logout(sender: Flask, user: Any = None, **_kw: Any) -> None:
    """Signing out ends the user's floor connections on this process (moderator rights are also re-read on every
    moderator action, so another process's connection loses them at its next action)."""
    user_id = getattr(user, "id", None)
    disconnect_after_commit(list(_user_sids.get(user_id, ()) if isinstance(user_id, int) else ()), NAMESPACE)


def _cut_off(kind: str, ident: int) -> None:
    """An interpreter link was revoked (this process or another announced it): its connections here end now."""
    if kind != channels.CHANNEL_REVOKED:
        return
    for sid, conn in list(_conns.items()):
        if conn.channel_id == ident:
            socketio.server.disconnect(sid, namespace=NAMESPACE)


def register(app: Flask) -> None:
    attach(FloorNamespace(NAMESPACE))
    revocations.on_revoked(_cut_off)
    signals.interpreter_link_revoked.connect(interpretation.on_link_revoked)
    signals.report_collect.connect(reporting.report_sections)
    signals.dashboard_collect.connect(reporting.dashboard_rows)
    signals.stage_ended.connect(interpretation.on_stage_ended)
    user_logged_out.connect(_on_logout)
