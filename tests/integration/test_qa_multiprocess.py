"""Scale-out proof for the live Q&A (docs/qa-protocol.md): two `python -m eventhub` processes, A and B, sharing
PostgreSQL and a Redis message queue, with real Socket.IO clients (python-socketio, WebSocket transport).

- a question asked on A reaches the moderator on B (pending) and, approved on B, the attendees on A and B;
- a vote on B updates the counts seen on A (coalesced `votes` broadcasts cross processes);
- a client that was away and reconnects to the OTHER process with `since` gets exactly the broadcasts it missed;
- killing B (SIGKILL) and restarting it loses nothing: the state is in PostgreSQL, the replay log too, and the
  restarted process takes part in the fan-out again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import socketio

from tests.live_server import CLUSTER_SKIP_REASON, PG_URL, REDIS_URL, login_cookie

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not (PG_URL and REDIS_URL), reason=CLUSTER_SKIP_REASON)]

NS = "/qa"
WAIT = 10.0  # seconds for one broadcast to arrive
QUIET = 1.0  # seconds to wait when checking that something does NOT arrive


class Peer:
    """A Socket.IO client that keeps every `qa` and `votes` message it received, across reconnections."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.messages: list[tuple[str, dict]] = []  # (event, payload), in arrival order
        self.cond = threading.Condition()
        self.sio: socketio.Client | None = None
        self.joined_seq = 0

    # connection --------------------------------------------------------------------------------------------
    def connect(self, base_url: str, *, auth: dict | None = None, headers: dict | None = None) -> None:
        sio = socketio.Client(reconnection=False, request_timeout=WAIT)
        for event in ("qa", "votes"):
            sio.on(event, self._recorder(event), namespace=NS)
        sio.connect(base_url, transports=["websocket"], namespaces=[NS], auth=auth or {}, headers=headers or {},
                    wait_timeout=WAIT)
        self.sio, self.url = sio, base_url

    def _recorder(self, event: str) -> Callable[[Any], None]:
        def record(data: Any) -> None:
            with self.cond:
                self.messages.append((event, data))
                self.cond.notify_all()

        return record

    def disconnect(self) -> None:
        if self.sio is not None:
            self.sio.disconnect()
            self.sio = None

    def wait_disconnected(self, timeout: float = WAIT) -> None:
        deadline = time.monotonic() + timeout
        while self.sio is not None and self.sio.connected:
            assert time.monotonic() < deadline, f"{self.name}: still connected {timeout}s after its server died"
            time.sleep(0.05)
        self.sio = None

    # calls -------------------------------------------------------------------------------------------------
    def call(self, event: str, payload: dict) -> Any:
        assert self.sio is not None, f"{self.name} is not connected"
        ack = self.sio.call(event, payload, namespace=NS, timeout=WAIT)
        assert isinstance(ack, dict) and ack.get("ok") is True, f"{self.name} {event} {payload}: {ack}"
        return ack.get("data")

    def join(self, session_id: int, since: int | None = None) -> dict:
        data = self.call("join", {"session_id": session_id, "since": since})
        assert isinstance(data.get("seq"), int), data
        self.joined_seq = max(self.joined_seq, data["seq"])
        return data

    # what arrived ------------------------------------------------------------------------------------------
    def qa(self) -> list[dict]:
        with self.cond:
            return [data for event, data in self.messages if event == "qa"]

    def last_seq(self) -> int:
        return max([self.joined_seq, *(m["seq"] for m in self.qa())])

    def mark(self) -> int:
        """A position in the arrivals: `wait_*(…, after=mark)` ignores what came before it."""
        with self.cond:
            return len(self.messages)

    def wait_for(self, what: str, predicate: Callable[[str, dict], bool], timeout: float = WAIT,
                 after: int = 0) -> dict:
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for event, data in self.messages[after:]:
                    if predicate(event, data):
                        return data
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(e, _brief(d)) for e, d in self.messages[-10:]]
                    pytest.fail(f"{self.name} did not receive {what} within {timeout}s; last messages: {seen}")
                self.cond.wait(left)

    def wait_question(self, qid: int, timeout: float = WAIT, after: int = 0, **state: Any) -> dict:
        def match(event: str, data: dict) -> bool:
            q = data.get("question") if event == "qa" else None
            return bool(q) and q["id"] == qid and all(q.get(k) == v for k, v in state.items())

        return self.wait_for(f"question {qid} with {state}", match, timeout, after)["question"]

    def wait_votes(self, qid: int, count: int, timeout: float = WAIT) -> None:
        self.wait_for(f"votes {{{qid}: {count}}}",
                      lambda e, d: e == "votes" and d.get("counts", {}).get(str(qid)) == count, timeout)


def _brief(data: dict) -> dict:
    q = data.get("question")
    if q:
        return {"seq": data.get("seq"), "id": q["id"], "status": q["status"], "pinned": q["pinned"]}
    return data


def fold(messages: list[dict], state: dict[int, dict] | None = None) -> dict[int, dict]:
    """Apply `qa` question messages in order (upsert by id): the question state a client would draw."""
    state = dict(state or {})
    for m in messages:
        if m.get("kind") == "question":
            state[m["question"]["id"]] = m["question"]
    return state


def public_summary(questions: dict[int, dict] | list[dict]) -> dict[int, tuple]:
    items = questions.values() if isinstance(questions, dict) else questions
    return {q["id"]: (q["status"], q["pinned"], q["text"]) for q in items if q["status"] in ("approved", "answered")}


@pytest.mark.timeout(240)
def test_two_processes_fan_out_replay_and_survive_a_crash(qa_cluster) -> None:  # noqa: PLR0915
    c = qa_cluster
    A, B, sid = c.a, c.b, c.session_id
    cookie = login_cookie(B.base_url, c.moderator_email, c.moderator_password)
    alice, bob, carol, mod = Peer("alice"), Peer("bob"), Peer("carol"), Peer("moderator")
    peers = (alice, bob, carol, mod)
    try:
        alice.connect(A.base_url, auth={"ticket": c.tickets[0]})
        carol.connect(A.base_url, auth={"ticket": c.tickets[2]})  # an observer on A: sees the public broadcasts
        bob.connect(B.base_url, auth={"ticket": c.tickets[1]})
        mod.connect(B.base_url, headers={"Cookie": cookie})
        for p in peers:
            assert "snapshot" in p.join(sid)

        # 1. Asked on A: pending, seen by the moderator on B, not by the audience.
        q1 = alice.call("ask", {"session_id": sid, "text": "Quel calendrier pour le câble sous-marin ?",
                                "anonymous": False})["question"]
        assert q1["status"] == "pending" and q1["mine"] is True
        pending = mod.wait_question(q1["id"], status="pending")
        assert pending["text"] == q1["text"]

        # 2. Approved on B: reaches the asker and the observer on A, and the attendee on B.
        mod.call("moderate", {"question_id": q1["id"], "action": "approve"})
        for p in (alice, carol, bob):
            p.wait_question(q1["id"], status="approved")
        for p in (carol, bob):
            statuses = [m["question"]["status"] for m in p.qa() if m["question"]["id"] == q1["id"]]
            assert statuses == ["approved"], f"{p.name} saw {statuses}: a pending question leaked to the audience"

        # 3. A vote on B: the counts reach A.
        bob.call("vote", {"question_id": q1["id"], "up": True})
        alice.wait_votes(q1["id"], 1)
        carol.wait_votes(q1["id"], 1)

        # 4. Alice leaves A; while she is away: a question is asked on B and approved, q1 is pinned. She comes
        #    back on B with `since` and gets exactly the public broadcasts of that time (the observer's list).
        since = alice.last_seq()
        alice.disconnect()
        q2 = bob.call("ask", {"session_id": sid, "text": "Et le roaming entre Alger et Bamako ?",
                              "anonymous": True})["question"]
        mod.wait_question(q2["id"], status="pending")
        mod.call("moderate", {"question_id": q2["id"], "action": "approve"})
        mod.call("moderate", {"question_id": q1["id"], "action": "pin"})
        carol.wait_question(q2["id"], status="approved")
        carol.wait_question(q1["id"], pinned=True)
        time.sleep(QUIET)  # anything else on its way to the observer
        expected = [m for m in carol.qa() if m["seq"] > since]
        assert expected, "nothing was broadcast while alice was away"

        alice.connect(B.base_url, auth={"ticket": c.tickets[0]})
        replay = alice.join(sid, since=since)
        assert "missed" in replay, f"a replay was expected, got {sorted(replay)}"
        missed = replay["missed"]
        seqs = [m["seq"] for m in missed]
        assert seqs == sorted(set(seqs)), f"missed broadcasts duplicated or out of order: {seqs}"
        assert seqs == [m["seq"] for m in expected], f"missed {seqs}, the observer saw {[m['seq'] for m in expected]}"
        assert [_brief(m) for m in missed] == [_brief(m) for m in expected]
        assert all(m["question"]["id"] != q2["id"] or m["question"]["status"] != "pending" for m in missed), \
            "a pending question of someone else was replayed to an attendee"
        assert replay["seq"] >= seqs[-1]

        # 5. B crashes (SIGKILL). The moderator and bob go to A and catch up; work goes on while B is down.
        B.kill()
        for p in (alice, bob, mod):
            p.wait_disconnected()
        mod.connect(A.base_url, headers={"Cookie": cookie})
        bob.connect(A.base_url, auth={"ticket": c.tickets[1]})
        mod_since, bob_since = mod.last_seq(), bob.last_seq()
        assert mod.join(sid, since=mod_since).get("missed") == []
        assert bob.join(sid, since=bob_since).get("missed") == []
        q3 = bob.call("ask", {"session_id": sid, "text": "Quid des data centers régionaux ?",
                              "anonymous": False})["question"]
        mod.wait_question(q3["id"], status="pending")
        mod.call("moderate", {"question_id": q3["id"], "action": "approve"})
        carol.wait_question(q3["id"], status="approved")

        # 6. B comes back (same port, same database, same queue). Alice reconnects there with `since` and gets
        #    what she missed; a new client's snapshot has everything; the fan-out crosses A and B again.
        B.start()
        alice_since = alice.last_seq()
        alice.connect(B.base_url, auth={"ticket": c.tickets[0]})
        missed = alice.join(sid, since=alice_since)["missed"]
        assert [_brief(m) for m in missed] == [_brief(m) for m in carol.qa() if m["seq"] > alice_since]
        assert any(m["question"]["id"] == q3["id"] and m["question"]["status"] == "approved" for m in missed)

        dave = Peer("dave")
        peers = (*peers, dave)
        dave.connect(B.base_url, auth={"ticket": c.tickets[3]})
        snapshot = dave.join(sid)["snapshot"]
        questions = {q["id"]: q for q in snapshot["questions"]}
        assert public_summary(questions) == public_summary(fold(carol.qa()))
        assert set(public_summary(questions)) == {q1["id"], q2["id"], q3["id"]}
        assert questions[q1["id"]]["pinned"] is True and questions[q1["id"]]["votes"] == 1

        marks = {p.name: p.mark() for p in (alice, dave)}
        mod.call("moderate", {"question_id": q3["id"], "action": "pin"})  # on A; unpins q1
        for p in (alice, dave):  # on the restarted B
            p.wait_question(q3["id"], pinned=True, after=marks[p.name])
            p.wait_question(q1["id"], pinned=False, after=marks[p.name])
        dave.call("vote", {"question_id": q3["id"], "up": True})  # on B
        carol.wait_votes(q3["id"], 1)  # on A
        alice.wait_votes(q3["id"], 1)
    except BaseException:
        print(A.logs())
        print(B.logs())
        raise
    finally:
        for p in peers:
            try:
                p.disconnect()
            except Exception:  # noqa: BLE001, S110 — best effort: the servers are stopped by the fixture anyway
                pass
