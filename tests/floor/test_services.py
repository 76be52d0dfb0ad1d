"""The floor's services: ordering, start / pause / resume / end, interjections, budgets, overtime, totals,
raised hands, interpretation channels, and the signals the stage listens to."""

from __future__ import annotations

import pytest

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.floor import broadcast as bc
from eventhub.floor import channels, hands, services, speeches, totals
from eventhub.floor.models import HandStatus, SpeakerState, Speech
from eventhub.qa import participants as pt
from tests.floor.conftest import at


def _add(f, who, **kw):
    if who == "mali":
        return services.add_speaker(f.session, by=f.moderator, kind="panelist", panelist_id=f.mali.id, **kw)
    if who == "algeria":
        return services.add_speaker(f.session, by=f.moderator, kind="panelist", panelist_id=f.algeria.id, **kw)
    if who == "moderator":
        return services.add_speaker(f.session, by=f.moderator, kind="moderator", **kw)
    return services.add_speaker(f.session, by=f.moderator, kind="attendee", name=who, **kw)


def _names(f):
    return [s["name"] for s in bc.state_view(f.session.id)["speakers"]]


def test_add_puts_panelists_in_their_country_delegation(floor):
    mali, algeria, mod = _add(floor, "mali"), _add(floor, "algeria"), _add(floor, "moderator")
    assert (mali.delegation_id, algeria.delegation_id, mod.delegation_id) == (floor.ml.id, floor.dz.id, None)
    assert (mali.remote, algeria.remote) == (False, True)
    assert _names(floor) == ["Aïssata Diallo", "Yacine Boudiaf", "Modérateur"]


def test_add_refuses_strangers(floor):
    with pytest.raises(DomainError) as e:
        services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=999)
    assert e.value.code == "panelist_not_found"
    with pytest.raises(DomainError) as e:
        services.add_speaker(floor.session, by=floor.moderator, kind="moderator", user_id=floor.outsider.id)
    assert e.value.code == "moderator_not_found"
    with pytest.raises(DomainError) as e:
        services.add_speaker(floor.session, by=floor.outsider, kind="moderator")
    assert e.value.code == "not_moderator"
    with pytest.raises(DomainError) as e:
        _add(floor, "  ")
    assert e.value.code == "invalid_speaker"
    with pytest.raises(DomainError) as e:
        _add(floor, "mali", budget_seconds=0)
    assert e.value.code == "invalid_budget"


def test_reorder_up_down_position_and_remove(floor):
    a, b, c = _add(floor, "mali"), _add(floor, "algeria"), _add(floor, "Awa Cissé")
    services.move_speaker(c, by=floor.moderator, direction="up")
    assert _names(floor) == ["Aïssata Diallo", "Awa Cissé", "Yacine Boudiaf"]
    services.move_speaker(a, by=floor.moderator, position=2)
    assert _names(floor) == ["Awa Cissé", "Yacine Boudiaf", "Aïssata Diallo"]
    services.move_speaker(c, by=floor.moderator, direction="up")  # already first: stays
    assert _names(floor)[0] == "Awa Cissé"
    services.remove_speaker(b, by=floor.moderator)
    assert _names(floor) == ["Awa Cissé", "Aïssata Diallo"]


def test_start_pause_resume_end_times(floor, signals_seen):
    a = _add(floor, "mali", budget_seconds=120)
    speech = speeches.start(a, by=floor.moderator, now=at(0))
    speeches.pause(floor.session, by=floor.moderator, now=at(30))
    assert speech.elapsed(at(1000)) == 30  # paused: the clock stands still
    speeches.resume(floor.session, by=floor.moderator, now=at(40))
    speeches.end(floor.session, by=floor.moderator, now=at(100))
    commit()
    speech = db.session.get(Speech, speech.id)
    assert (speech.started_at, speech.ended_at, speech.paused_seconds) == (at(0), at(100), 10)
    assert speech.elapsed(at(5000)) == 90
    assert a.state == SpeakerState.DONE
    assert [(n, sid) for n, sid, _kw in signals_seen] == [("started", speech.id), ("ended", speech.id)]
    assert signals_seen[1][2]["reason"] == "ended" and signals_seen[0][2]["interjection"] is False


def test_starting_the_next_ends_the_current(floor, signals_seen):
    a, b = _add(floor, "mali"), _add(floor, "algeria")
    first = speeches.start(a, by=floor.moderator, now=at(0))
    second = speeches.start(b, by=floor.moderator, now=at(50))
    assert first.ended_at == at(50) and second.ended_at is None
    state = bc.state_view(floor.session.id, now=at(60))
    assert state["current"]["speaker_id"] == b.id and state["current"]["elapsed_seconds"] == 10
    assert [s["name"] for s in state["done"]] == ["Aïssata Diallo"]
    assert [(n, sid, kw.get("reason")) for n, sid, kw in signals_seen] == [
        ("started", first.id, None), ("ended", first.id, "next"), ("started", second.id, None)]
    # The stage reads who to bring live from the sender: the remote Algerian panelist.
    started = next(kw for n, sid, kw in signals_seen if n == "started" and sid == second.id)
    assert started["speaker"].remote is True and second.panelist_id == floor.algeria.id


def test_starting_the_next_ends_a_paused_speech_too(floor):
    a, b = _add(floor, "mali"), _add(floor, "algeria")
    first = speeches.start(a, by=floor.moderator, now=at(0))
    speeches.pause(floor.session, by=floor.moderator, now=at(20))
    speeches.start(b, by=floor.moderator, now=at(80))
    assert first.ended_at == at(80) and first.paused_at is None and first.paused_seconds == 60
    assert first.elapsed(at(999)) == 20


def test_interjection_pauses_and_resumes(floor, signals_seen):
    a, b = _add(floor, "mali", budget_seconds=300), _add(floor, "moderator")
    main = speeches.start(a, by=floor.moderator, now=at(0))
    inter = speeches.interject(b, by=floor.moderator, now=at(60))
    state = bc.state_view(floor.session.id, now=at(70))
    assert state["current"]["id"] == inter.id and [p["id"] for p in state["paused"]] == [main.id]
    with pytest.raises(DomainError) as e:
        speeches.resume(floor.session, by=floor.moderator, now=at(75))
    assert e.value.code == "floor_busy"
    speeches.end(floor.session, by=floor.moderator, now=at(90))  # the interjection ends: the speaker resumes
    state = bc.state_view(floor.session.id, now=at(100))
    assert state["current"]["id"] == main.id and state["paused"] == []
    assert main.paused_seconds == 30 and main.elapsed(at(100)) == 70
    assert inter.interrupted_id == main.id
    assert [kw.get("interjection") for n, _s, kw in signals_seen if n == "started"] == [False, True]


def test_interjection_needs_someone_speaking(floor):
    a = _add(floor, "mali")
    with pytest.raises(DomainError) as e:
        speeches.interject(a, by=floor.moderator, now=at(0))
    assert e.value.code == "no_running_speech"
    speeches.start(a, by=floor.moderator, now=at(0))
    with pytest.raises(DomainError) as e:
        speeches.interject(a, by=floor.moderator, now=at(1))
    assert e.value.code == "already_speaking"


def test_nothing_to_pause_resume_or_end(floor):
    for action, code in ((speeches.pause, "no_running_speech"), (speeches.resume, "no_paused_speech"),
                         (speeches.end, "no_open_speech")):
        with pytest.raises(DomainError) as e:
            action(floor.session, by=floor.moderator, now=at(0))
        assert e.value.code == code


def test_a_speaker_on_the_floor_cannot_be_removed(floor):
    a = _add(floor, "mali")
    speeches.start(a, by=floor.moderator, now=at(0))
    with pytest.raises(DomainError) as e:
        services.remove_speaker(a, by=floor.moderator)
    assert e.value.code == "speaker_speaking"


def test_budgets_default_and_overtime_counted_not_cut(floor):
    services.update_settings(floor.session, by=floor.moderator, default_budget_seconds=180,
                             show_timer_on_screen=True, hands_open=True)
    a = _add(floor, "mali")
    speech = speeches.start(a, by=floor.moderator, now=at(0))
    assert speech.budget_seconds == 180
    state = bc.state_view(floor.session.id, now=at(250))
    assert state["current"]["elapsed_seconds"] == 250  # still running after time is up
    speeches.end(floor.session, by=floor.moderator, now=at(250))
    record = totals.speaking_totals(floor.session, now=at(300))
    assert record["speeches"][0]["overtime_seconds"] == 70
    assert record["speakers"][0]["overtime_seconds"] == 70
    assert bc.state_view(floor.session.id)["settings"]["show_timer_on_screen"] is True


def test_totals_per_speaker_and_delegation(floor):
    a, b, m = _add(floor, "mali"), _add(floor, "algeria"), _add(floor, "moderator")
    speeches.start(a, by=floor.moderator, now=at(0))
    speeches.start(b, by=floor.moderator, now=at(120))
    speeches.start(m, by=floor.moderator, now=at(300))
    speeches.start(a, by=floor.moderator, now=at(330))  # speaks again
    speeches.pause(floor.session, by=floor.moderator, now=at(360))
    speeches.resume(floor.session, by=floor.moderator, now=at(400))
    speeches.end(floor.session, by=floor.moderator, now=at(430))
    commit()
    t = totals.speaking_totals(floor.session, now=at(1000))
    by_name = {s["name"]: s for s in t["speakers"]}
    assert by_name["Aïssata Diallo"]["seconds"] == 180 and by_name["Aïssata Diallo"]["speeches"] == 2
    assert by_name["Aïssata Diallo"]["paused_seconds"] == 40
    assert by_name["Yacine Boudiaf"]["seconds"] == 180 and by_name["Modérateur"]["seconds"] == 30
    deleg = {d["name"]: d for d in t["delegations"]}
    assert (deleg["Mali"]["seconds"], deleg["Algérie"]["seconds"]) == (180, 180)
    assert deleg["Mali"]["budget_seconds"] == 600 and deleg["Mali"]["country"] == "ML"
    assert t["total_seconds"] == 390
    used = {d["name"]: d["used_seconds"] for d in bc.state_view(floor.session.id, now=at(1000))["delegations"]}
    assert used == {"Mali": 180, "Algérie": 180}
    event = totals.event_speaking_totals(floor.event, now=at(1000))
    assert [s["session_id"] for s in event["sessions"]] == [floor.session.id]
    assert {d["name"]: d["seconds"] for d in event["delegations"]} == {"Algérie": 180, "Mali": 180}


def test_times_survive_a_restart(floor, app):
    """The timer is computed from stored times: a fresh session (a reload, a restarted process) sees the same."""
    a = _add(floor, "mali", budget_seconds=120)
    speech = speeches.start(a, by=floor.moderator, now=at(0))
    speeches.pause(floor.session, by=floor.moderator, now=at(45))
    commit()
    before = bc.state_view(floor.session.id, now=at(500))
    db.session.remove()
    with app.app_context():
        after = bc.state_view(floor.session.id, now=at(500))
    assert after["paused"] == before["paused"] and after["paused"][0]["elapsed_seconds"] == 45
    assert after["paused"][0]["id"] == speech.id


# --- raised hands -----------------------------------------------------------------------------------------------

def test_raise_accept_decline_hands(floor):
    p1, p2 = pt.from_ticket(floor.tickets[0]), pt.from_ticket(floor.tickets[1])
    h1 = hands.raise_hand(floor.session, p1, "  La fibre  optique ")
    assert h1.topic == "La fibre optique" and h1.remote is True and h1.status == HandStatus.PENDING
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, p1, "encore")
    assert e.value.code == "hand_already_raised"
    h2 = hands.raise_hand(floor.session, p2, "", in_room=True)
    assert [h["id"] for h in bc.pending_hands(floor.session.id)] == [h1.id, h2.id]
    speaker = hands.decide(h1, by=floor.moderator, accept=True)
    assert speaker.kind.value == "attendee" and speaker.video_allowed is False and speaker.remote is True
    assert speaker.participant_key == p1.key and speaker.hand_id == h1.id and speaker.name == "Aminata Traoré"
    with pytest.raises(DomainError) as e:
        hands.decide(h1, by=floor.moderator2, accept=False)
    assert e.value.code == "hand_not_pending"
    assert hands.decide(h2, by=floor.moderator, accept=False) is None
    assert h2.status == HandStatus.DECLINED and bc.pending_hands(floor.session.id) == []


def test_accept_with_video(floor):
    hand = hands.raise_hand(floor.session, pt.from_ticket(floor.tickets[0]))
    speaker = hands.decide(hand, by=floor.moderator, accept=True, video_allowed=True)
    assert speaker.video_allowed is True and hand.video_allowed is True


def test_hand_refusals(floor):
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, None)
    assert e.value.code == "not_participant"
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, pt.from_ticket(floor.tickets[0]), "x" * 141)
    assert e.value.code == "topic_too_long"
    anonymous = pt.from_anonymous_key(pt.issue_anonymous_key(floor.session.id))
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, anonymous)
    assert e.value.code == "anonymous_not_allowed"
    services.update_settings(floor.session, by=floor.moderator, default_budget_seconds=None,
                             show_timer_on_screen=False, hands_open=False)
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, pt.from_ticket(floor.tickets[0]))
    assert e.value.code == "hands_closed"
    hand_owner = pt.from_ticket(floor.tickets[1])
    services.update_settings(floor.session, by=floor.moderator, default_budget_seconds=None,
                             show_timer_on_screen=False, hands_open=True)
    hand = hands.raise_hand(floor.session, hand_owner)
    with pytest.raises(DomainError) as e:
        hands.withdraw_hand(hand, pt.from_ticket(floor.tickets[0]))
    assert e.value.code == "not_your_hand"
    with pytest.raises(DomainError) as e:
        hands.decide(hand, by=floor.outsider, accept=True)
    assert e.value.code == "not_moderator"
    assert hands.withdraw_hand(hand, hand_owner).status == HandStatus.WITHDRAWN


def test_hands_are_rate_limited(floor, app, monkeypatch):
    monkeypatch.setitem(app.config, "RATELIMIT_ENABLED", True)
    monkeypatch.setitem(app.config, "FLOOR_HAND_LIMIT", "2/minute")
    p = pt.from_ticket(floor.tickets[0])
    for _ in range(2):
        hands.withdraw_hand(hands.raise_hand(floor.session, p), p)
    with pytest.raises(DomainError) as e:
        hands.raise_hand(floor.session, p)
    assert e.value.code == "rate_limited" and e.value.status == 429


# --- interpretation -------------------------------------------------------------------------------------------

def test_channels_relay_and_listener_source(floor):
    ar = channels.add_channel(floor.session, by=floor.moderator, language="ar", interpreter_name="Leïla")
    en = channels.add_channel(floor.session, by=floor.moderator, language="en")
    with pytest.raises(DomainError) as e:
        channels.add_channel(floor.session, by=floor.moderator, language="ar")
    assert e.value.code == "channel_exists"
    with pytest.raises(DomainError) as e:
        channels.add_channel(floor.session, by=floor.moderator, language="xx")
    assert e.value.code == "invalid_language"
    channels.set_relay(en, ar.id)
    assert channels.interpreter_source(en) == {"session_id": floor.session.id, "source": "channel",
                                               "channel_id": ar.id}
    with pytest.raises(DomainError) as e:
        channels.set_relay(ar, en.id)
    assert e.value.code == "relay_loop"
    assert channels.listener_source(floor.session, "ar")["channel_id"] == ar.id
    assert channels.listener_source(floor.session, "es")["source"] == "floor"
    assert channels.listener_source(floor.session, None)["source"] == "floor"
    token = channels.make_link_token(ar)
    assert channels.channel_from_token(token).id == ar.id
    channels.revoke_link(ar, by=floor.moderator)
    assert channels.channel_from_token(token) is None
    assert channels.channel_from_token("junk") is None
