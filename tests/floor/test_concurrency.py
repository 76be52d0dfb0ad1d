"""Two moderators starting speakers at once can never put two speakers on the floor, and a speaker handing the floor
back at the instant a moderator ends their turn ends it once (PostgreSQL, real threads).

The invariant is held by the database: speech changes are serialized on the session's settings row (SELECT … FOR
UPDATE), the open speeches are locked while being ended, and a partial unique index on the one running speech per
session (`uq_floor_speeches_one_running`) refuses a second one whatever the code path.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db
from eventhub.floor import hands, services, speeches
from eventhub.floor.models import Speaker, SpeakerState, Speech
from eventhub.qa import participants as pt
from tests.conftest import PG_URL
from tests.floor.conftest import at

needs_pg = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (EVENTHUB_TEST_DATABASE_URL)")


def _running(session_id: int) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Speech).where(
        Speech.session_id == session_id, Speech.ended_at.is_(None), Speech.paused_at.is_(None)))


def _wait_for_lock_waiter(app, deadline: float = 20.0) -> None:
    """Until a backend of this database waits on a lock (the second moderator's transaction)."""
    end = time.monotonic() + deadline
    with app.app_context():
        while time.monotonic() < end:
            waiting = db.session.scalar(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"))
            db.session.rollback()
            if waiting:
                db.session.remove()
                return
            time.sleep(0.02)
        db.session.remove()
    raise AssertionError("the second moderator never waited on the first one's lock")


def _ids(floor):
    speakers = [services.add_speaker(floor.session, by=floor.moderator, kind="panelist", panelist_id=p.id)
                for p in (floor.mali, floor.algeria)]
    speakers.append(services.add_speaker(floor.session, by=floor.moderator, kind="moderator"))
    commit()
    return [s.id for s in speakers]


@needs_pg
@pytest.mark.parametrize("checked", [True, False], ids=["if_current", "last_wins"])
@pytest.mark.parametrize("someone_speaking", [False, True])
def test_two_moderators_at_the_same_instant(app, floor, someone_speaking, checked):
    """Both moderators saw the same floor and click at the same instant. The second waits for the first's commit;
    with `if_current` (what the console sends) it is refused; without, it ends the first: one speaker either way."""
    a, b, c = _ids(floor)
    session_id, mod1, mod2 = floor.session.id, floor.moderator.id, floor.moderator2.id
    seen = None
    if someone_speaking:
        seen = speeches.start(db.session.get(Speaker, c), by=floor.moderator).id
        commit()
    kw = {"if_current": seen} if checked else {}
    db.session.remove()
    first_flushed, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        with app.app_context():
            try:
                speeches.start(db.session.get(Speaker, a), by=db.session.get(services.User, mod1), **kw)
                first_flushed.set()
                assert first_may_commit.wait(30)
                commit()
                outcome["first"] = "ok"
            except Exception as exc:  # noqa: BLE001 — asserted below
                db.session.rollback()
                outcome["first"] = repr(exc)
            finally:
                first_flushed.set()
                db.session.remove()

    def second() -> None:
        with app.app_context():
            try:
                speeches.start(db.session.get(Speaker, b), by=db.session.get(services.User, mod2), **kw)
                commit()
                outcome["second"] = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcome["second"] = exc.code
            except Exception as exc:  # noqa: BLE001 — asserted below
                db.session.rollback()
                outcome["second"] = repr(exc)
            finally:
                db.session.remove()

    t1 = threading.Thread(target=first)
    t1.start()
    assert first_flushed.wait(30)
    t2 = threading.Thread(target=second)
    t2.start()
    try:
        _wait_for_lock_waiter(app)  # the second moderator is blocked by the first one's uncommitted start
    finally:
        first_may_commit.set()
    t1.join(60)
    t2.join(60)
    running = db.session.scalars(db.select(Speech).where(Speech.session_id == session_id,
                                                         Speech.ended_at.is_(None))).all()
    if checked:
        assert outcome == {"first": "ok", "second": "floor_changed"}
        assert [s.speaker_id for s in running] == [a]
    else:
        assert outcome == {"first": "ok", "second": "ok"}
        assert [s.speaker_id for s in running] == [b]


@needs_pg
def test_many_moderators_racing(app, floor):
    ids = _ids(floor)
    session_id, mods = floor.session.id, [floor.moderator.id, floor.moderator2.id, floor.organizer.id]
    db.session.remove()
    barrier = threading.Barrier(len(mods))
    errors: list[str] = []
    violations: list[int] = []

    def run(k: int) -> None:
        with app.app_context():
            barrier.wait(timeout=30)
            for n in range(15):
                try:
                    speeches.start(db.session.get(Speaker, ids[(k + n) % len(ids)]),
                                   by=db.session.get(services.User, mods[k]))
                    commit()
                except DomainError as exc:
                    db.session.rollback()
                    errors.append(exc.code)
                except Exception as exc:  # noqa: BLE001 — asserted below
                    db.session.rollback()
                    errors.append(repr(exc))
                count = _running(session_id)
                db.session.rollback()
                if count > 1:
                    violations.append(count)
            db.session.remove()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(mods))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not violations
    assert not errors, errors  # serialized: no deadlock, no refusal (nobody sent if_current)
    assert _running(session_id) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(Speech)) == 45


def test_the_index_refuses_a_second_running_speech(app, floor):
    """Whatever the code path (a future bug, a script), the database refuses two running speeches."""


    now = datetime.now(UTC)
    for name in ("A", "B"):
        db.session.add(Speech(session_id=floor.session.id, name=name, kind="moderator", started_at=now,
                              paused_seconds=0.0, delegation_name=""))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@needs_pg
@pytest.mark.parametrize("first", ["moderator", "speaker"])
@pytest.mark.parametrize("checked", [True, False], ids=["if_current", "any"])
def test_the_speaker_and_the_moderator_end_the_turn_at_the_same_instant(app, floor, first, checked):
    """Whoever takes the floor's lock first ends the speech; the other waits for that commit, then is refused:
    the speaker with `not_your_turn`, the moderator with `floor_changed` (the console's `if_current`) or
    `no_open_speech`. The speech is ended once, at the first one's time."""
    aminata = pt.from_ticket(floor.tickets[0])
    assert aminata is not None
    entry = hands.decide(hands.raise_hand(floor.session, aminata), by=floor.moderator, accept=True)
    assert entry is not None
    speech_id, entry_id = speeches.start(entry, by=floor.moderator, now=at(0)).id, entry.id
    commit()
    session_id, moderator_id = floor.session.id, floor.moderator.id
    kw = {"if_current": speech_id} if checked else {}
    db.session.remove()

    def moderator_ends(now) -> None:  # noqa: ANN001
        speeches.end(services.session_of(session_id), by=db.session.get(services.User, moderator_id), now=now, **kw)

    def speaker_finishes(now) -> None:  # noqa: ANN001
        speeches.finish_own_turn(services.session_of(session_id), by_attendee=aminata, now=now)

    actions = {"moderator": moderator_ends, "speaker": speaker_finishes}
    second = "speaker" if first == "moderator" else "moderator"
    first_flushed, first_may_commit = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def run(who: str, when) -> None:  # noqa: ANN001
        with app.app_context():
            try:
                actions[who](when)
                if who == first:
                    first_flushed.set()
                    assert first_may_commit.wait(30)
                commit()
                outcome[who] = "ok"
            except DomainError as exc:
                db.session.rollback()
                outcome[who] = exc.code
            except Exception as exc:  # noqa: BLE001 — asserted below
                db.session.rollback()
                outcome[who] = repr(exc)
            finally:
                first_flushed.set()
                db.session.remove()

    t1 = threading.Thread(target=run, args=(first, at(10)))
    t1.start()
    assert first_flushed.wait(30)
    t2 = threading.Thread(target=run, args=(second, at(20)))
    t2.start()
    try:
        _wait_for_lock_waiter(app)  # the second is blocked by the first one's uncommitted end
    finally:
        first_may_commit.set()
    t1.join(60)
    t2.join(60)
    refusal = {"speaker": "not_your_turn", "moderator": "floor_changed" if checked else "no_open_speech"}[second]
    assert outcome == {first: "ok", second: refusal}
    speech = db.session.get(Speech, speech_id)
    assert speech.ended_at == at(10)
    assert db.session.get(Speaker, entry_id).state == SpeakerState.DONE
