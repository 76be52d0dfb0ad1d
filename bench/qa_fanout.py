"""Live Q&A fan-out: how fast a moderator's action reaches thousands of phones, against a bare Socket.IO server.

    python -m bench.qa_fanout [--clients 2000] [--client-procs 2] [--database-url URL] [--actions 40] [--repeats 3]
                              [--voters 200] [--vote-rate 400] [--storm-seconds 8] [--skip-baseline]

Starts its own servers on free ports of 127.0.0.1:

1. `python -m eventhub` (gevent, one process, no message queue; SQLite in the run directory unless
   `--database-url postgresql://…`), seeded by this file in `--seed` mode through the app's services: an event,
   an agenda session with Q&A (pre-moderated, anonymous participation on), a moderator, one participant key per
   client and `--actions / 2` pending questions;
2. a BARE python-socketio server (`socketio.Server(async_mode="gevent")` under gevent's pywsgi, served the way
   `flask_socketio.run` does it; this same file in `--baseline-server` mode): `join` enters the room, `fire`
   broadcasts a given payload to it.

Each server gets its own `--clients` real Socket.IO clients (python-socketio's AsyncClient, WebSocket transport,
spread over `--client-procs` processes running asyncio), all joined to the one session (`join`,
docs/qa-protocol.md). Both swarms stay connected while the moderator actions alternate between the two servers
(approve, then pin, each question; one broadcast in flight at a time), so both see the same background load:

- delay: the action is sent at time.time() t0 (eventhub: `moderate` from a signed-in moderator; bare: `fire`
  with the same `qa` payload); every client stamps time.time() when the broadcast with that question in that
  state arrives (same machine, same clock); p50/p99/max over all clients and actions. The ratio compares the
  app's whole path (auth, SQL, commit, replay log, emit) with a plain emit.
- vote storm (eventhub only): `--voters` clients toggle votes at `--vote-rate` votes/s for `--storm-seconds`;
  the `votes` broadcasts each client receives per second (the contract: coalesced, a few per second).
- memory: each server's VmRSS before its clients connect and after they all joined, divided by N.

Readable lines, and last one JSON object. Exit status 0 when the run completed (whatever the figures), 1 when
clients could not connect or broadcasts were lost, 2 when it could not be set up. Every wait is bounded and the
whole run stops after `--max-seconds`. Needs aiohttp (python-socketio's asyncio client).
"""

from __future__ import annotations

import sys

if __name__ == "__main__" and "--baseline-server" in sys.argv:  # the bare server: gevent first, like eventhub
    from gevent import monkey

    monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import multiprocessing as mp  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from itertools import pairwise  # noqa: E402
from pathlib import Path  # noqa: E402

from bench._server import (  # noqa: E402
    ROOT,
    Server,
    SetupError,
    clean_env,
    free_port,
    fresh_postgres_database,
    percentile,
    scan_server_log,
    tail,
)

NS = "/qa"
DB_NAME = "eventhub_bench_qa"
CONNECT_CONCURRENCY = 64  # simultaneous connection attempts per client process
CONNECT_TIMEOUT = 120.0  # for all clients to connect and join
ACTION_TIMEOUT = 15.0  # for one broadcast to reach every client
WORKER_REPLY_TIMEOUT = 60.0
MODERATOR_PASSWORD = "bench-moderator-password-1"  # noqa: S105


# --- the bare baseline server (`--baseline-server PORT`) ----------------------------------------------------------

def serve_baseline(port: int) -> None:
    """python-socketio + gevent pywsgi, nothing else: `join` enters the room, `fire` broadcasts a payload to it."""
    import socketio
    from gevent import pywsgi

    sio = socketio.Server(async_mode="gevent", cors_allowed_origins=[])

    @sio.on("join", namespace=NS)
    def join(sid, payload):  # noqa: ANN001, ANN202
        sio.enter_room(sid, f"qa:{payload['session_id']}", namespace=NS)
        return {"ok": True, "data": {"seq": 0, "snapshot": {}}}

    @sio.on("fire", namespace=NS)
    def fire(sid, payload):  # noqa: ANN001, ANN202
        for data in payload["messages"]:  # one action can change several questions (pin unpins the other)
            sio.emit(payload["event"], data, to=payload["room"], namespace=NS)
        return {"ok": True}

    def health(environ, start_response):  # noqa: ANN001, ANN202
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    app = socketio.WSGIApp(sio, health)
    try:
        from geventwebsocket.handler import WebSocketHandler

        server = pywsgi.WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None)
        how = "gevent-websocket"
    except ImportError:  # what flask_socketio.run does without gevent-websocket: simple-websocket under pywsgi
        server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None)
        how = "simple-websocket"
    print(f"bare python-socketio on http://127.0.0.1:{port} (gevent, {how})", flush=True)
    server.serve_forever()


# --- seeding (`--seed N`, run in a child process with the server's environment) ----------------------------------

def seed(n_clients: int, n_questions: int) -> None:
    """Schema + an event with one Q&A session, a moderator, one participant key per client, pending questions.

    Prints one JSON line: {"session_id", "moderator_email", "auths": [...], "question_ids": [...]}.
    """
    from flask_migrate import upgrade

    from eventhub import create_app

    app = create_app()
    with app.app_context():
        upgrade()
        print(json.dumps(_seed_qa(n_clients, n_questions)), flush=True)


def _seed_qa(n_clients: int, n_questions: int) -> dict:
    from datetime import UTC, timedelta

    from eventhub.auth.models import Role
    from eventhub.auth.services import create_user, grant_role
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event
    from eventhub.schedule import services as schedule

    organizer = create_user("bench-organizer@example.org", "Bench Organizer", "bench-organizer-password-1")
    moderator = create_user("bench-moderator@example.org", "Bench Moderator", MODERATOR_PASSWORD)
    starts = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)  # the session is on now
    event = create_event(EventData(title="Q&A fan-out benchmark", starts_at=starts, ends_at=starts + timedelta(hours=8),
                                   timezone="Africa/Bamako", capacity=n_clients + 100, remote_enabled=True),
                         by=organizer)
    publish_event(event)
    grant_role(event, moderator, Role.MODERATOR)
    room = schedule.create_room(event, schedule.RoomData(name="Salle principale", capacity=n_clients + 100))
    session = schedule.create_session(event, schedule.SessionData(
        title="Plénière", starts_at=starts, ends_at=starts + timedelta(hours=4), room_id=room.id,
        moderator_ids=[moderator.id]))
    commit()
    return _seed_qa_open(event, session, moderator, n_clients, n_questions)


def _seed_qa_open(event, session, moderator, n_clients: int, n_questions: int) -> dict:  # noqa: ANN001
    """Q&A on, pre-moderated, anonymous participation allowed; one participant key per client; pending questions."""
    from eventhub.core.db import commit
    from eventhub.qa import participants, services
    from eventhub.schedule import services as schedule

    schedule.publish_schedule(event)
    settings = services.get_settings(session)
    services.update_settings(settings, moderation="pre", is_open=True, anonymous_allowed=True)
    keys = [participants.issue_anonymous_key(session.id) for _ in range(n_clients + n_questions)]
    questions = []
    for k in range(n_questions):  # each asked by its own participant (the ask rate limit is per participant)
        asker = participants.from_anonymous_key(keys[n_clients + k])
        questions.append(services.ask(session, asker, f"Question {k + 1}: what is the plan for the next year?"))
    commit()
    return {"session_id": session.id, "moderator_email": moderator.email,
            "auths": [{"participant": key} for key in keys[:n_clients]], "question_ids": [q.id for q in questions]}


# --- client processes ----------------------------------------------------------------------------------------------

def client_worker(index: int, conn, url: str, auths: list[dict], session_id: int, voters: int) -> None:  # noqa: ANN001
    """One load-generator process: len(auths) AsyncClients on one asyncio loop, driven by commands on `conn`."""
    import asyncio

    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    except (ValueError, OSError):
        pass
    asyncio.run(_worker_main(index, conn, url, auths, session_id, voters))


async def _worker_main(index: int, conn, url: str, auths: list[dict], session_id: int, voters: int) -> None:  # noqa: ANN001, C901, PLR0915
    import asyncio

    import socketio

    loop = asyncio.get_running_loop()
    n = len(auths)
    qa_log: list[list[tuple[float, int, str, bool]]] = [[] for _ in range(n)]
    votes_log: list[list[float]] = [[] for _ in range(n)]
    clients: list[socketio.AsyncClient | None] = [None] * n
    errors: list[str] = []
    done = asyncio.Event()
    running: set[asyncio.Future] = set()  # command handlers in progress (referenced so they are not collected)

    def make_client(i: int) -> socketio.AsyncClient:
        c = socketio.AsyncClient(reconnection=False, request_timeout=30)

        @c.on("qa", namespace=NS)
        def on_qa(data):  # noqa: ANN001, ANN202
            q = data.get("question") if isinstance(data, dict) else None
            if q:
                qa_log[i].append((time.time(), q.get("id"), q.get("status"), bool(q.get("pinned"))))

        @c.on("votes", namespace=NS)
        def on_votes(data):  # noqa: ANN001, ANN202
            votes_log[i].append(time.time())

        return c

    async def connect_one(i: int, sem: asyncio.Semaphore) -> bool:
        async with sem:
            for attempt in range(3):
                c = make_client(i)
                try:
                    await c.connect(url, transports=["websocket"], namespaces=[NS], auth=auths[i], wait_timeout=30)
                    ack = await c.call("join", {"session_id": session_id, "since": None}, namespace=NS, timeout=60)
                    if not (isinstance(ack, dict) and ack.get("ok")):
                        raise RuntimeError(f"join refused: {json.dumps(ack)[:200]}")
                    clients[i] = c
                    return True
                except Exception as exc:  # noqa: BLE001
                    if len(errors) < 20:
                        errors.append(f"client {i} attempt {attempt}: {type(exc).__name__}: {exc}"[:300])
                    try:
                        await c.disconnect()
                    except Exception:  # noqa: BLE001, S110
                        pass
                    await asyncio.sleep(0.5 * (attempt + 1))
            return False

    async def storm(question_ids: list[int], rate: float, seconds: float) -> dict:
        mine = [c for c in clients[:voters] if c is not None]
        sent = acked = refused = 0
        refusal: list[str] = []
        lat: list[float] = []  # ms from sending a vote to its ack
        if not mine or rate <= 0:
            return {"sent": 0, "acked": 0, "refused": 0, "refusals": [], "lat": []}
        up: dict[tuple[int, int], bool] = {}
        pending: set[asyncio.Task] = set()

        async def one(v: int, qid: int) -> None:
            nonlocal acked, refused
            key = (v, qid)
            up[key] = not up.get(key, False)
            sent_at = loop.time()
            try:
                ack = await mine[v].call("vote", {"question_id": qid, "up": up[key]}, namespace=NS, timeout=30)
                if isinstance(ack, dict) and ack.get("ok"):
                    acked += 1
                    lat.append((loop.time() - sent_at) * 1000)
                else:
                    refused += 1
                    if len(refusal) < 3:
                        refusal.append(json.dumps(ack)[:200])
            except Exception as exc:  # noqa: BLE001
                refused += 1
                if len(refusal) < 3:
                    refusal.append(f"{type(exc).__name__}: {exc}"[:200])

        t0 = loop.time()
        k = 0
        while loop.time() - t0 < seconds:
            due = int((loop.time() - t0) * rate) + 1
            while sent < due:
                v, qid = k % len(mine), question_ids[(k // len(mine)) % len(question_ids)]
                task = asyncio.create_task(one(v, qid))
                pending.add(task)
                task.add_done_callback(pending.discard)
                sent += 1
                k += 1
            await asyncio.sleep(0.01)
        if pending:
            await asyncio.wait(pending, timeout=30)
        return {"sent": sent, "acked": acked, "refused": refused, "refusals": refusal, "lat": lat}

    async def handle(cmd: tuple) -> object:
        what = cmd[0]
        if what == "connect":
            sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
            results = await asyncio.gather(*(connect_one(i, sem) for i in range(n)))
            return {"connected": sum(results), "errors": errors[:5]}
        if what == "total":  # how many clients have received at least `n` `qa` messages
            return sum(1 for log in qa_log if len(log) >= cmd[1])
        if what == "storm":
            return await storm(*cmd[1:])
        if what == "report":
            return {"qa": qa_log, "votes": votes_log}
        if what == "votes_since":  # the `votes` arrival times after time.time() cmd[1], per client
            return [[t for t in log if t >= cmd[1]] for log in votes_log]
        if what == "stop":
            await asyncio.gather(*(c.disconnect() for c in clients if c is not None), return_exceptions=True)
            done.set()
            return "stopped"
        return f"unknown command {what!r}"

    async def run(cmd: tuple) -> None:
        try:
            reply = await handle(cmd)
        except Exception as exc:  # noqa: BLE001
            reply = {"error": f"{type(exc).__name__}: {exc}"}
        conn.send(reply)

    def readable() -> None:
        try:
            cmd = conn.recv()
        except EOFError:  # the driver is gone
            done.set()
            return
        task = asyncio.ensure_future(run(cmd))
        running.add(task)
        task.add_done_callback(running.discard)

    loop.add_reader(conn.fileno(), readable)
    await done.wait()
    loop.remove_reader(conn.fileno())


class Swarm:
    """The client processes, and the commands the driver sends them (every reply awaited with a timeout)."""

    def __init__(self, url: str, auths: list[dict], session_id: int, procs: int, voters: int) -> None:
        ctx = mp.get_context("spawn")
        procs = max(1, min(procs, len(auths)))
        self.workers = []
        for w in range(procs):
            mine = auths[w::procs]
            parent, child = ctx.Pipe()
            voters_here = len(range(w, voters, procs))
            p = ctx.Process(target=client_worker, args=(w, child, url, mine, session_id, voters_here), daemon=True)
            p.start()
            child.close()
            self.workers.append((p, parent))

    def ask(self, cmd: tuple, timeout: float = WORKER_REPLY_TIMEOUT) -> list:
        for _, conn in self.workers:
            conn.send(cmd)
        replies = []
        deadline = time.monotonic() + timeout
        for p, conn in self.workers:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise SetupError(f"client process {p.pid} did not answer {cmd[0]!r} within {timeout:.0f}s")
            replies.append(conn.recv())
        for r in replies:
            if isinstance(r, dict) and "error" in r:
                raise SetupError(f"client process failed on {cmd[0]!r}: {r['error']}")
        return replies

    def close(self) -> None:
        try:
            self.ask(("stop",), timeout=30)
        except (SetupError, OSError, EOFError):
            pass
        for p, conn in self.workers:
            p.join(10)
            if p.is_alive():
                p.terminate()
                p.join(5)
            conn.close()


# --- measurement -----------------------------------------------------------------------------------------------

def rss_kb(pid: int) -> int | None:
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def wait_all_seen(swarm: Swarm, n: int, total: int, timeout: float = ACTION_TIMEOUT) -> int:
    """Wait until all `n` clients have received `total` `qa` broadcasts; how many have."""
    deadline = time.monotonic() + timeout
    seen = 0
    while time.monotonic() < deadline:
        seen = sum(swarm.ask(("total", total)))
        if seen >= n:
            return seen
        time.sleep(0.05)
    return seen


def delays_from(reports: list[dict], actions: list[tuple[float, int, str, bool]]) -> tuple[list[list[float]], int]:
    """Per action, the delays (ms) from its send time t0 to the first arrival of (qid, status, pinned) at each
    client; and how many (client, action) deliveries never came."""
    per_action: list[list[float]] = [[] for _ in actions]
    missing = 0
    for rep in reports:
        for log in rep["qa"]:
            first: dict[tuple[int, str, bool], float] = {}
            for t, qid, status, pinned in log:
                first.setdefault((qid, status, pinned), t)
            for k, (t0, qid, status, pinned) in enumerate(actions):
                t = first.get((qid, status, pinned))
                if t is None or t < t0:
                    missing += 1
                else:
                    per_action[k].append((t - t0) * 1000)
    return [sorted(d) for d in per_action], missing


class Actor:
    """Sends the moderator actions: the bare server's `fire`, or eventhub's `moderate` as a signed-in moderator."""

    def __init__(self, base_url: str, *, baseline: bool, session_id: int, moderator_email: str = "") -> None:
        import socketio

        self.baseline, self.session_id = baseline, session_id
        self.sio = socketio.Client(reconnection=False, request_timeout=30)
        headers = {}
        if not baseline:
            headers["Cookie"] = login_cookie(base_url, moderator_email, MODERATOR_PASSWORD)
        self.sio.connect(base_url, transports=["websocket"], namespaces=[NS], headers=headers, wait_timeout=30)
        if not baseline:
            ack = self.sio.call("join", {"session_id": session_id, "since": None}, namespace=NS, timeout=30)
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise SetupError(f"the moderator could not join: {ack}")
        self.seq = 0
        self.pinned: int | None = None  # the question pinned last (pinning another unpins it: one more broadcast)

    def act(self, qid: int, action: str) -> float:
        """Perform `action` on question `qid`; returns the send time (time.time())."""
        if self.baseline:  # the same broadcasts as the app sends for that action
            changes = [(qid, action == "pin")]
            if action == "pin" and self.pinned is not None:
                changes.append((self.pinned, False))
            messages = []
            for q, pinned in changes:
                self.seq += 1
                question = {"id": q, "session_id": self.session_id, "text": f"Question {q}: what is the plan for "
                            "the next year?", "author": None, "status": "approved", "pinned": pinned, "votes": 0,
                            "addressed_to": None, "merged_into": None, "created_at": "2026-11-22T10:00:00+00:00",
                            "anonymous": True, "edited": False, "answered_at": None}
                messages.append({"session_id": self.session_id, "seq": self.seq, "kind": "question",
                                 "question": question})
            t0 = time.time()
            ack = self.sio.call("fire", {"event": "qa", "messages": messages, "room": f"qa:{self.session_id}"},
                                namespace=NS, timeout=30)
        else:
            t0 = time.time()
            ack = self.sio.call("moderate", {"question_id": qid, "action": action}, namespace=NS, timeout=30)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise SetupError(f"moderate {action} on question {qid} refused: {ack}")
        broadcasts = 1 + (action == "pin" and self.pinned is not None)
        if action == "pin":
            self.pinned = qid
        return t0, broadcasts

    def close(self) -> None:
        self.sio.disconnect()


def login_cookie(base_url: str, email: str, password: str) -> str:
    """Sign in through the login form (CSRF token included); the Cookie header for the Socket.IO handshake."""
    import requests

    s = requests.Session()
    page = s.get(f"{base_url}/login", timeout=30)
    m = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    data = {"email": email, "password": password}
    if m:
        data["csrf_token"] = m.group(1)
    r = s.post(f"{base_url}/login", data=data, allow_redirects=False, timeout=30)
    if r.status_code != 302:
        raise SetupError(f"moderator login failed: HTTP {r.status_code}")
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


class Target:
    """One server under test with its own client swarm and moderator; actions are timed one at a time."""

    def __init__(self, name: str, server: Server, *, baseline: bool, fixture: dict, args: argparse.Namespace,
                 log) -> None:  # noqa: ANN001
        self.name, self.server, self.baseline, self.fixture, self.args, self.log = name, server, baseline, fixture, \
            args, log
        self.n = args.clients
        self.out: dict = {"clients": self.n}
        self.actions: list[tuple[float, int, str, bool]] = []
        self.incomplete = 0
        self.expected = 0  # `qa` broadcasts every client should have received so far
        self.swarm: Swarm | None = None
        self.actor: Actor | None = None
        self.connected = 0
        self.storm: dict | None = None
        self.per_action: list[list[float]] = []

    def connect(self) -> None:
        args, log, out = self.args, self.log, self.out
        rss_before = rss_kb(self.server.proc.pid)
        self.swarm = Swarm(self.server.base_url, self.fixture["auths"][: self.n], self.fixture["session_id"],
                           args.client_procs, 0 if self.baseline else args.voters)
        t = time.monotonic()
        replies = self.swarm.ask(("connect",), timeout=CONNECT_TIMEOUT)
        self.connected = connected = sum(r["connected"] for r in replies)
        out["connected"], out["connect_s"] = connected, round(time.monotonic() - t, 1)
        log(f"  {self.name:9} connected {connected}/{self.n} clients in {out['connect_s']} s")
        for r in replies:
            for e in r["errors"][:2]:
                log(f"    connect error   {e}")
        time.sleep(2)  # let the server settle before reading its memory
        rss_after = rss_kb(self.server.proc.pid)
        if rss_before and rss_after and connected:
            out["rss_before_mb"], out["rss_after_mb"] = round(rss_before / 1024, 1), round(rss_after / 1024, 1)
            out["kb_per_connection"] = round((rss_after - rss_before) / connected, 1)
            log(f"  {self.name:9} memory    VmRSS {out['rss_before_mb']} MB -> {out['rss_after_mb']} MB: "
                f"{out['kb_per_connection']} kB per connection")
        self.actor = Actor(self.server.base_url, baseline=self.baseline, session_id=self.fixture["session_id"],
                           moderator_email=self.fixture.get("moderator_email", ""))

    def act(self, qid: int, action: str) -> None:
        """Time one action; return once every client has all of its broadcasts (nothing left in flight)."""
        status, pinned = "approved", action == "pin"
        t0, broadcasts = self.actor.act(qid, action)
        self.actions.append((t0, qid, status, pinned))
        self.expected += broadcasts
        seen = wait_all_seen(self.swarm, self.connected, self.expected)
        if seen < self.connected:
            self.incomplete += 1
            self.log(f"  {self.name:9} {action} #{qid}: only {seen}/{self.connected} clients got it within "
                     f"{ACTION_TIMEOUT:.0f}s")

    def vote_storm(self, question_ids: list[int]) -> None:
        args = self.args
        t0 = time.time()
        stats = self.swarm.ask(("storm", question_ids, args.vote_rate / len(self.swarm.workers), args.storm_seconds),
                               timeout=args.storm_seconds + 60)
        t1 = time.time()
        time.sleep(1.5)  # the last coalesced broadcast
        storm = {k: sum(s[k] for s in stats) for k in ("sent", "acked", "refused")}
        storm["refusals"] = [x for s in stats for x in s["refusals"]][:3]
        storm["t0"], storm["t1"] = t0, t1
        self.storm = storm

    def finish(self) -> dict:
        """Collect what the clients saw, close everything; the figures."""
        try:
            reports = self.swarm.ask(("report",), timeout=120) if self.swarm else []
        finally:
            self.close()
        out, log = self.out, self.log
        per_action, missing = delays_from(reports, self.actions)
        self.per_action = per_action
        for (_, qid, _status, pinned), d in zip(self.actions, per_action, strict=True):
            if d:
                log(f"  {self.name:9} {'pin' if pinned else 'approve'} #{qid}: p50 {percentile(d, 50):.0f} ms, "
                    f"p99 {percentile(d, 99):.0f} ms, max {d[-1]:.0f} ms ({len(d)} clients)")
        delays = sorted(x for d in per_action for x in d)
        out.update({
            "actions": len(self.actions), "deliveries": len(delays), "missing_deliveries": missing,
            "incomplete_actions": self.incomplete,
            "p50_ms": round(percentile(delays, 50), 1), "p90_ms": round(percentile(delays, 90), 1),
            "p99_ms": round(percentile(delays, 99), 1), "max_ms": round(delays[-1], 1) if delays else None,
        })
        log(f"  {self.name:9} delay     {len(self.actions)} actions x {self.connected} clients: p50 {out['p50_ms']} ms,"
            f" p90 {out['p90_ms']} ms, p99 {out['p99_ms']} ms, max {out['max_ms']} ms; {missing} deliveries missing")
        storm = self.storm
        if storm:
            window = storm["t1"] - storm["t0"]
            per_client = sorted(
                sum(1 for t in log_ if storm["t0"] <= t <= storm["t1"] + 1.0) / (window + 1.0)
                for rep in reports for log_ in rep["votes"])
            out["votes_sent"], out["votes_acked"], out["votes_refused"] = storm["sent"], storm["acked"], \
                storm["refused"]
            out["votes_per_s"] = round(storm["acked"] / window, 1) if window else None
            out["vote_storm_s"] = round(window, 1)
            gaps = []  # per client: the longest time without a count update while votes were coming in
            for rep in reports:
                for log_ in rep["votes"]:
                    ts = [storm["t0"], *(t for t in log_ if storm["t0"] <= t <= storm["t1"]), storm["t1"]]
                    gaps.append(max(b - a for a, b in pairwise(ts)))
            gaps.sort()
            out["vote_storm_max_gap_s"] = round(percentile(gaps, 50), 2) if gaps else None
            out["vote_storm_broadcasts_per_s"] = round(percentile(per_client, 50), 2)
            out["vote_storm_broadcasts_per_s_max"] = round(per_client[-1], 2) if per_client else None
            log(f"  {self.name:9} votes     {storm['sent']} votes sent by {self.args.voters} clients at "
                f"{self.args.vote_rate:.0f}/s for {self.args.storm_seconds:.0f} s; all acked after {window:.1f} s "
                f"({out['votes_per_s']}/s, {storm['refused']} refused); `votes` broadcasts per client: median "
                f"{out['vote_storm_broadcasts_per_s']}/s, max {out['vote_storm_broadcasts_per_s_max']}/s; longest "
                f"time without an update (median client) {out['vote_storm_max_gap_s']} s")
            for r in storm["refusals"]:
                log(f"    refusal         {r}")
        return out

    def close(self) -> None:
        if self.actor:
            try:
                self.actor.close()
            except Exception:  # noqa: BLE001, S110
                pass
            self.actor = None
        if self.swarm:
            self.swarm.close()
            self.swarm = None


# --- main ------------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.qa_fanout", description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=2000)
    p.add_argument("--client-procs", type=int, default=max(2, os.cpu_count() or 2),
                   help="load-generator processes (asyncio, clients split evenly)")
    p.add_argument("--database-url", default=None,
                   help=f"postgresql://... (database {DB_NAME!r} is re-created there); default: SQLite in the run dir")
    p.add_argument("--actions", type=int, default=40,
                   help="moderator actions per server and repeat (approve + pin of --actions/2 questions)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of --actions rounds (the spread is printed)")
    p.add_argument("--voters", type=int, default=200)
    p.add_argument("--vote-rate", type=float, default=400.0, help="votes per second, all voters together")
    p.add_argument("--storm-seconds", type=float, default=8.0)
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--only-baseline", action="store_true", help="measure the bare server only (no app needed)")
    p.add_argument("--max-seconds", type=float, default=900.0, help="the whole run is abandoned after this")
    p.add_argument("--run-dir", type=Path, default=None)
    # internal modes
    p.add_argument("--baseline-server", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed-questions", type=int, default=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.clients < 1 or args.client_procs < 1 or args.actions < 2:
        p.error("--clients and --client-procs must be >= 1, --actions >= 2")
    return args


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915
    args = parse_args(argv)
    if args.baseline_server is not None:
        serve_baseline(args.baseline_server)
        return 0
    if args.seed is not None:
        seed(args.seed, args.seed_questions)
        return 0

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.clients * 2 + 1024:
        try:  # as root the hard limit can be raised too (5,000+ clients: two sockets each, plus the server's)
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, args.clients * 2 + 1024))
            hard = args.clients * 2 + 1024
        except (ValueError, OSError):
            pass
    want = max(soft, min(hard, args.clients * 2 + 1024))
    resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    if want < args.clients + 256:
        print(f"the open-files limit ({hard}) is too low for {args.clients} clients", file=sys.stderr)
        return 2
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print("bench.qa_fanout needs aiohttp (python-socketio's asyncio client): pip install aiohttp", file=sys.stderr)
        return 2

    db_url = args.database_url
    backend = "postgresql" if db_url and db_url.startswith(("postgres://", "postgresql")) else "sqlite"
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = args.run_dir or ROOT / "bench" / "results" / f"{stamp}-qa-fanout-{backend}"
    while run_dir.exists() and args.run_dir is None:
        run_dir = run_dir.with_name(run_dir.name + "+")
    run_dir.mkdir(parents=True, exist_ok=True)
    instance_dir = run_dir / "instance"
    instance_dir.mkdir(exist_ok=True)
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    # Bound the whole run: the watchdog's SIGTERM becomes SystemExit, so the finally blocks stop the clients and
    # the servers (each in its own process group).
    def give_up(signum, frame) -> None:  # noqa: ANN001
        raise SystemExit(f"bench.qa_fanout: stopped by signal {signum} (--max-seconds {args.max_seconds:.0f})")

    signal.signal(signal.SIGTERM, give_up)
    watchdog = threading.Timer(args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()

    base_env = clean_env()

    log(f"machine            {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}, "
        f"1-min load average {os.getloadavg()[0]:.2f}")
    log(f"clients            {args.clients} (python-socketio AsyncClient, websocket, {args.client_procs} processes)")
    log(f"run dir            {run_dir}")
    t_start = time.monotonic()
    per_repeat = max(1, args.actions // 2)  # questions per repeat: each approved, then pinned
    n_questions = per_repeat * args.repeats
    results: dict[str, dict] = {}
    servers: list[Server] = []
    targets: list[Target] = []
    try:
        if not args.only_baseline:
            if backend == "postgresql":
                db_url = fresh_postgres_database(db_url, DB_NAME)
            elif not db_url:
                db_url = f"sqlite:///{run_dir / 'bench.sqlite3'}"
            env = dict(base_env, DATABASE_URL=db_url, EVENTHUB_INSTANCE_DIR=str(instance_dir),
                       EVENTHUB_CONFIG="development", SECRET_KEY="bench-secret-key-not-for-production",
                       SOCKETIO_ASYNC_MODE="gevent", PORT=str(free_port()))
            t = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-m", "bench.qa_fanout", "--seed", str(args.clients), "--seed-questions",
                 str(n_questions)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
            (run_dir / "seed.log").write_text(done.stdout[-20000:] + done.stderr)
            if done.returncode != 0:
                raise SetupError(f"seeding failed (status {done.returncode}):\n{done.stderr[-3000:]}")
            fixture = json.loads(done.stdout.strip().splitlines()[-1])
            log(f"seeded             session {fixture['session_id']}, {len(fixture['auths'])} participant keys, "
                f"{len(fixture['question_ids'])} pending questions in {time.monotonic() - t:.1f} s ({backend})")
            server = Server(env, run_dir, "gevent", name="eventhub")
            servers.append(server)
            server.start()
            server.wait_healthy(timeout=180)  # a loaded shared machine starts slowly
            log(f"eventhub           python -m eventhub, gevent, {backend}, pid {server.proc.pid}, {server.base_url}")
            targets.append(Target("eventhub", server, baseline=False, fixture=fixture, args=args, log=log))
        if not args.skip_baseline:
            env = dict(base_env, PORT=str(free_port()))
            server = Server(env, run_dir, "gevent", argv=[sys.executable, "-m", "bench.qa_fanout", "--baseline-server",
                                                          env["PORT"]], name="baseline")
            servers.append(server)
            server.start()
            server.wait_healthy(timeout=180)  # a loaded shared machine starts slowly
            log(f"baseline           bare python-socketio, gevent, pid {server.proc.pid}, {server.base_url}")
            fixture = {"session_id": 1, "auths": [{} for _ in range(args.clients)],
                       "question_ids": list(range(1, n_questions + 1))}
            targets.insert(0, Target("baseline", server, baseline=True, fixture=fixture, args=args, log=log))

        # Both swarms stay connected; the actions alternate between the servers (order flipped every round) so
        # both see the same background load on this shared machine. Only one broadcast is in flight at a time.
        for target in targets:
            target.connect()
        # Rounds: in each, every server performs the same action once, the order flipped every round.
        for k in range(n_questions):
            for action in ("approve", "pin"):
                for target in (targets if k % 2 == 0 else targets[::-1]):
                    target.act(target.fixture["question_ids"][k], action)
                    time.sleep(0.3)
                if k % per_repeat == per_repeat - 1 and action == "pin":
                    log(f"  repeat {k // per_repeat + 1}/{args.repeats} done (1-min load {os.getloadavg()[0]:.2f})")
        for target in targets:
            if not target.baseline and args.voters and args.vote_rate > 0:
                target.vote_storm(target.fixture["question_ids"])
        for target in targets:
            results[target.name] = target.finish()
        for server in servers:
            server.stop()
        if "eventhub" in results:
            scan = scan_server_log(servers[0].stderr_path)
            results["eventhub"]["server_errors"] = scan["error_records"]
            results["eventhub"]["server_tracebacks"] = scan["tracebacks"]
            if scan["first_traceback"]:
                log("first traceback in the eventhub server's stderr:")
                log("\n".join("  | " + x for x in scan["first_traceback"].splitlines()))
    except (SetupError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        print(f"bench setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for s in servers:
            print(f"{s.stderr_path}:\n{tail(s.stderr_path)}", file=sys.stderr)
        return 2
    finally:
        for target in targets:
            target.close()
        for s in servers:
            s.stop()
        watchdog.cancel()

    ours, base = results.get("eventhub", {}), results.get("baseline", {})
    repeats = []
    by_name = {t.name: t for t in targets}
    if "eventhub" in by_name and "baseline" in by_name and by_name["eventhub"].per_action:
        for r in range(args.repeats):
            part = slice(2 * per_repeat * r, 2 * per_repeat * (r + 1))
            fig = {}
            for name, t in by_name.items():
                d = sorted(x for a in t.per_action[part] for x in a)
                fig[name] = (percentile(d, 50), percentile(d, 99))
            rp = {"p50_ratio": round(fig["eventhub"][0] / fig["baseline"][0], 2),
                  "p99_ratio": round(fig["eventhub"][1] / fig["baseline"][1], 2),
                  "p50_ms": round(fig["eventhub"][0], 1), "p99_ms": round(fig["eventhub"][1], 1),
                  "baseline_p50_ms": round(fig["baseline"][0], 1), "baseline_p99_ms": round(fig["baseline"][1], 1)}
            repeats.append(rp)
            log(f"repeat {r + 1}           eventhub p50 {rp['p50_ms']} / p99 {rp['p99_ms']} ms vs bare "
                f"{rp['baseline_p50_ms']} / {rp['baseline_p99_ms']} ms: p50 x{rp['p50_ratio']}, p99 x{rp['p99_ratio']}")
        if repeats:
            p50s, p99s = [r["p50_ratio"] for r in repeats], [r["p99_ratio"] for r in repeats]
            log(f"spread             p50 ratio {min(p50s)}–{max(p50s)}, p99 ratio {min(p99s)}–{max(p99s)} over "
                f"{len(repeats)} repeats (goals: p50 <= x1.2 and p99 <= x1.3 in every repeat)")
    ratio = (round(ours["p99_ms"] / base["p99_ms"], 2)
             if ours.get("p99_ms") and base.get("p99_ms") else None)
    if ratio is not None:
        log(f"eventhub vs bare   p99 {ours['p99_ms']} ms vs {base['p99_ms']} ms: x{ratio} "
            f"(goal: p99 < 250 ms and <= x1.3)")
    log(f"total run time     {time.monotonic() - t_start:.1f} s")
    summary = {
        "clients": args.clients, "backend": backend, "client_procs": args.client_procs,
        "p50_ms": ours.get("p50_ms"), "p90_ms": ours.get("p90_ms"), "p99_ms": ours.get("p99_ms"),
        "max_ms": ours.get("max_ms"),
        "baseline_p50_ms": base.get("p50_ms"), "baseline_p99_ms": base.get("p99_ms"),
        "baseline_max_ms": base.get("max_ms"),
        "ratio": ratio, "repeats": repeats,
        "p50_ratio": round(ours["p50_ms"] / base["p50_ms"], 2) if ours.get("p50_ms") and base.get("p50_ms") else None,
        "kb_per_connection": ours.get("kb_per_connection"),
        "baseline_kb_per_connection": base.get("kb_per_connection"),
        "vote_storm_broadcasts_per_s": ours.get("vote_storm_broadcasts_per_s"),
        "vote_storm_broadcasts_per_s_max": ours.get("vote_storm_broadcasts_per_s_max"),
        "vote_storm_max_gap_s": ours.get("vote_storm_max_gap_s"),
        "votes_per_s": ours.get("votes_per_s"), "votes_refused": ours.get("votes_refused"),
        "connected": ours.get("connected"), "baseline_connected": base.get("connected"),
        "missing_deliveries": ours.get("missing_deliveries"),
        "baseline_missing_deliveries": base.get("missing_deliveries"),
        "server_errors": ours.get("server_errors"), "cpus": os.cpu_count(), "run_dir": str(run_dir),
    }
    print(json.dumps(summary))
    (run_dir / "summary.txt").write_text("\n".join([*lines, json.dumps(summary)]) + "\n")
    failed = any(r.get("connected", 0) < args.clients or r.get("missing_deliveries") for r in results.values())
    if not failed:  # keep the logs; the database file only when something went wrong
        for suffix in ("", "-wal", "-shm", "-journal"):
            (run_dir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
