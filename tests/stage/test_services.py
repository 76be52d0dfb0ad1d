"""Stage services by role: every state change and every refusal, with exact codes. Janus-dependent tests run
against a real local Janus (skipped with a reason when it is not installed)."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

from eventhub import signals
from eventhub.auth.services import revoke_role
from eventhub.core.db import commit
from eventhub.core.types import utcnow
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import Registration, Ticket
from eventhub.stage import access, credentials
from eventhub.stage import services as svc
from eventhub.stage.models import ParticipantState, StageBroadcast, StageRole, StageState, StageToken
from tests.helpers import domain_error_code


def test_stage_managers_are_the_organizers_and_this_sessions_moderators(world):
    s = world.session
    assert access.is_stage_manager(world.organizer, s)
    assert access.is_stage_manager(world.moderator, s)
    assert not access.is_stage_manager(world.other_moderator, s)  # moderates another session
    assert access.is_stage_manager(world.other_moderator, world.other_session)
    assert not access.is_stage_manager(world.outsider, s)
    assert not access.is_stage_manager(None, s)


def test_stage_comes_closed_with_the_session(world):
    stage = svc.get_stage(world.session)
    assert stage.state == StageState.CLOSED and stage.janus_room_id is None and len(stage.screen_key) >= 24
    assert svc.get_stage(world.session).id == stage.id


def test_open_refused_to_non_managers_and_without_media(world):
    stage = svc.get_stage(world.session)
    commit()
    for user in (world.other_moderator, world.outsider, None):
        assert domain_error_code(svc.open_stage, stage, by=user, media=None) == "not_stage_manager"
    assert domain_error_code(svc.open_stage, stage, by=world.organizer, media=None) == "media_unavailable"
    assert stage.state == StageState.CLOSED


def test_closed_stage_refuses_people_actions(world):
    stage = svc.get_stage(world.session)
    commit()
    assert domain_error_code(svc.go_live, stage, by=world.moderator) == "stage_closed"
    assert domain_error_code(svc.end_stage, stage, by=world.moderator, media=None) == "stage_closed"
    holder = access.panelist_holder(world.minister_link)
    assert domain_error_code(credentials.issue, stage, holder, publish=True, media=None) == "stage_closed"


def test_open_creates_the_janus_room_and_the_publishers(world, media, open_stage):
    stage = open_stage
    assert stage.state == StageState.OPEN and stage.janus_server == media.pool.servers[0].name
    assert media.room_exists(stage.janus_server, stage.janus_room_id)
    roles = sorted((p.role.value, p.display) for p in stage.participants)
    # The remote minister and the room feed publish; the panelist in the hall does not.
    assert roles == [("panelist", "Yacine Boudiaf"), ("room_feed", "La salle")]  # named in the default locale (fr)
    assert domain_error_code(svc.open_stage, stage, by=world.organizer, media=media) == "stage_already_open"
    kinds = [b.payload["kind"] for b in db.session.scalars(db.select(StageBroadcast).order_by(StageBroadcast.seq))]
    assert kinds == ["participant", "participant", "stage"]


def test_credentials_by_role(world, media, open_stage):
    stage = open_stage
    minister = access.panelist_holder(world.minister_link)
    creds = credentials.issue(stage, minister, publish=True, media=media)
    commit()
    assert creds["room"] == stage.janus_room_id and creds["publish"] is True and creds["feed_id"] % 2 == 0
    assert creds["janus_urls"] == [media.pool.servers[0].browser_url]
    turn = creds["ice_servers"][0]
    assert turn["username"].endswith(f":s{stage.id}t1") and turn["credential"]  # REST credentials, labelled
    assert "secret" not in repr(creds).lower()
    assert stage.room_secret not in repr(creds)
    # Refusals, by who is asking.
    remote = access.ticket_holder(world.tickets["remote"])
    assert domain_error_code(credentials.issue, stage, remote, publish=True, media=media) == "attendee_cannot_publish"
    assert credentials.issue(stage, remote, publish=False, media=media)["feed_id"] is None
    assert access.ticket_holder(world.tickets["revoked"]) is None
    offpanel = access.panelist_holder(world.offpanel_link)
    assert domain_error_code(credentials.issue, stage, offpanel, publish=True, media=media) == "not_on_this_stage"
    foreign = access.panelist_holder(world.foreign_link)
    assert domain_error_code(credentials.issue, stage, foreign, publish=True, media=media) == "not_on_this_stage"
    manager = access.manager_holder(world.moderator)
    assert domain_error_code(credentials.issue, stage, manager, publish=True, media=media) == "cannot_publish"
    screen = access.key_holder(stage, stage.screen_key, room_feed=False)
    assert credentials.issue(stage, screen, publish=False, media=media)["publish"] is False
    assert access.key_holder(stage, "wrong-key", room_feed=False) is None


def test_bring_live_backstage_spotlight_question(world, media, open_stage):
    stage = open_stage
    minister = next(p for p in stage.participants if p.role == StageRole.PANELIST)
    assert domain_error_code(svc.bring_live, stage, minister, by=world.other_moderator) == "not_stage_manager"
    assert domain_error_code(svc.spotlight, stage, minister, by=world.moderator) == "not_live"
    svc.bring_live(stage, minister, by=world.moderator)
    svc.spotlight(stage, minister, by=world.moderator)
    svc.show_question(stage, True, by=world.moderator)
    commit()
    assert minister.state == ParticipantState.LIVE and stage.spotlight_id == minister.id and stage.show_question
    svc.go_live(stage, by=world.organizer)
    commit()
    assert domain_error_code(svc.go_live, stage, by=world.organizer) == "stage_already_open"
    svc.send_backstage(stage, minister, by=world.moderator)
    commit()
    assert minister.state == ParticipantState.BACKSTAGE and stage.spotlight_id is None
    assert stage.state == StageState.LIVE


def test_mute_and_remove_reach_janus(world, media, open_stage):
    stage = open_stage
    minister = next(p for p in stage.participants if p.role == StageRole.PANELIST)
    creds = credentials.issue(stage, access.panelist_holder(world.minister_link), publish=True, media=media)
    commit()
    svc.mute(stage, minister, True, by=world.moderator, media=media)
    commit()  # Janus: moderate of a feed not publishing yet fails; logged, the database is right
    assert minister.muted
    svc.remove(stage, minister, by=world.moderator, media=media)
    commit()
    assert minister.state == ParticipantState.REMOVED
    token = db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"]))
    assert token.removed_at is not None
    assert domain_error_code(credentials.issue, stage, access.panelist_holder(world.minister_link), publish=True,
                 media=media) == "removed_from_stage"
    assert domain_error_code(svc.bring_live, stage, minister, by=world.moderator) == "participant_removed"
    svc.send_backstage(stage, minister, by=world.moderator)  # readmitted
    commit()
    assert credentials.issue(stage, access.panelist_holder(world.minister_link), publish=True, media=media)


def test_tokens_expire_without_heartbeat_and_are_swept(world, media, open_stage):
    stage = open_stage
    creds = credentials.issue(stage, access.ticket_holder(world.tickets["room"]), publish=False, media=media)
    commit()
    row = credentials.heartbeat(stage, creds["token"])
    later = row.expires_at + timedelta(seconds=1)
    assert domain_error_code(credentials.heartbeat, stage, creds["token"], now=later) == "token_expired"
    assert credentials.sweep(media=media, now=later) == 1
    commit()
    assert domain_error_code(credentials.heartbeat, stage, creds["token"]) == "token_expired"
    assert domain_error_code(credentials.heartbeat, stage, "not-a-token") == "token_expired"


def test_role_loss_and_revoked_ticket_end_tokens(world, media, open_stage):
    stage = open_stage
    creds_mgr = credentials.issue(stage, access.manager_holder(world.moderator), publish=False, media=media)
    creds_att = credentials.issue(stage, access.ticket_holder(world.tickets["remote"]), publish=False, media=media)
    commit()
    registration = db.session.scalar(db.select(Registration).where(Registration.email == "remote@example.org"))
    reg.revoke_ticket(registration)  # registration sends ticket_revoked: the stage removes the token at once
    commit()
    att = db.session.scalar(db.select(StageToken).where(StageToken.token == creds_att["token"]))
    assert att.removed_at is not None
    creds_att2 = credentials.issue(stage, access.ticket_holder(world.tickets["room"]), publish=False, media=media)
    commit()
    room = db.session.scalar(db.select(Registration).where(Registration.email == "room@example.org"))
    # Revoked behind the app's back (no signal) and a role lost: the sweep re-checks every holder's right.
    db.session.execute(db.update(Ticket).where(Ticket.registration_id == room.id).values(revoked_at=utcnow()))
    revoke_role(world.event, world.moderator, world.moderator.roles[0].role)
    commit()
    assert credentials.sweep(media=media) == 2
    commit()
    for creds in (creds_mgr, creds_att2):
        assert db.session.scalar(db.select(StageToken).where(StageToken.token == creds["token"])).removed_at


def test_end_destroys_the_room(world, media, open_stage):
    stage = open_stage
    server, room = stage.janus_server, stage.janus_room_id
    assert domain_error_code(svc.end_stage, stage, by=world.outsider, media=media) == "not_stage_manager"
    svc.end_stage(stage, by=world.moderator, media=media)
    commit()
    assert stage.state == StageState.ENDED
    assert not media.room_exists(server, room)


def test_floor_signals_bring_the_speaker_live(world, media, open_stage):


    stage = open_stage
    speech = SimpleNamespace(session_id=world.session.id, panelist_id=world.minister.id)
    signals.speech_started.send(speech)
    commit()
    minister = next(p for p in stage.participants if p.role == StageRole.PANELIST)
    assert minister.state == ParticipantState.LIVE
    signals.speech_ended.send(speech)
    commit()
    assert minister.state == ParticipantState.BACKSTAGE
    signals.speech_started.send(SimpleNamespace(session_id=world.session.id, panelist_id=world.offpanel.id))
    commit()  # not on this panel: nothing happens
    assert all(p.panelist_id != world.offpanel.id for p in stage.participants)
