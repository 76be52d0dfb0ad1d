"""One server under test in bench.qa_fanout (eventhub, or the bare baseline) with its client swarm and its
moderator: the moderator's actions timed one at a time, the vote storm, and the figures from what every client
received (bench.votes and bench.soak use the moderator's `Actor` too)."""

from __future__ import annotations

import argparse
import re
import time
from itertools import pairwise

from bench._server import Server, SetupError, percentile, rss_kb
from bench._swarm import NS, Swarm

CONNECT_TIMEOUT = 120.0  # for all clients to connect and join
ACTION_TIMEOUT = 15.0  # for one broadcast to reach every client
MODERATOR_PASSWORD = "bench-moderator-password-1"  # noqa: S105


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
