"""One layout under test in bench.qa_fanout (eventhub, or the bare baseline: one server process, or several sharing
Redis) with its client swarm and its moderator: the moderator's actions timed one at a time, the vote storm, and the
figures from what every client received (bench.votes and bench.soak use the moderator's `Actor` too).

The moderator's action enters on the first process; clients are spread over all of them (client i on process
i mod N), so in the scale-out layout a delivery crosses Redis to reach three quarters of them."""

from __future__ import annotations

import argparse
import re
import time
from itertools import pairwise

from bench._server import Profiler, Server, SetupError, percentile, proc_cpu, rss_kb
from bench._swarm import NS, Swarm

CONNECT_TIMEOUT = 120.0  # for all clients to connect and join, on top of the paced ramp (clients / connect rate)
IDLE_SECONDS = 5.0  # CPU of the connected, idle layout (pings, the app's sweeps) measured over this long
ACTION_TIMEOUT = 15.0  # for one broadcast to reach every client
MODERATOR_PASSWORD = "bench-moderator-password-1"  # noqa: S105


def wait_all_seen(swarm: Swarm, total: int, timeout: float = ACTION_TIMEOUT) -> tuple[int, int]:
    """Wait until every client still connected has received `total` `qa` broadcasts (one dropped meanwhile is not
    waited for: it is reported as dropped, and its missing deliveries as lost); (how many have, connected)."""
    deadline = time.monotonic() + timeout
    seen = alive = 0
    while time.monotonic() < deadline:
        replies = swarm.ask(("total", total))
        seen, alive = sum(r[0] for r in replies), sum(r[1] for r in replies)
        if seen >= alive:
            break
        time.sleep(0.05)
    return seen, alive


def delays_from(reports: list[dict], actions: list[tuple[float, int, str, bool]],
                server_of: list[int] | None = None) -> dict:
    """From what the clients that joined received: per action, the delays (ms) from its send time t0 to the first
    arrival of (qid, status, pinned) at each client ("per_action"); the same per server process ("per_server",
    client i's process is server_of[i]); how many (client, action) deliveries never came ("missing"); and how many
    `qa` messages arrived from the first action on ("messages")."""
    per_action: list[list[float]] = [[] for _ in actions]
    per_server: dict[int, list[float]] = {}
    missing = messages = 0
    first_t0 = min((a[0] for a in actions), default=0.0)
    procs = len(reports)
    for w, rep in enumerate(reports):
        joined = rep.get("connected") or [True] * len(rep["qa"])
        for j, log in enumerate(rep["qa"]):
            if not joined[j]:
                continue  # counted as a connect failure, not as lost deliveries
            server = server_of[w + j * procs] if server_of else 0
            mine = per_server.setdefault(server, [])
            first: dict[tuple[int, str, bool], float] = {}
            for t, qid, status, pinned in log:
                first.setdefault((qid, status, pinned), t)
                messages += t >= first_t0
            for k, (t0, qid, status, pinned) in enumerate(actions):
                t = first.get((qid, status, pinned))
                if t is None or t < t0:
                    missing += 1
                else:
                    per_action[k].append((t - t0) * 1000)
                    mine.append((t - t0) * 1000)
    return {"per_action": [sorted(d) for d in per_action], "per_server": {k: sorted(v) for k, v in per_server.items()},
            "missing": missing, "messages": messages}


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes together (those that are gone count 0)."""
    return sum(c[0] for c in (proc_cpu(pid) for pid in pids) if c)


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

    def act(self, qid: int, action: str) -> tuple[float, int]:
        """Perform `action` on question `qid`; returns the send time (time.time()) and the broadcasts it makes."""
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
    """One layout under test (one or several server processes) with its own client swarm and moderator; actions are
    timed one at a time, and the CPU its server processes (and its client processes) use during them is summed."""

    def __init__(self, name: str, servers: Server | list[Server], *, baseline: bool, fixture: dict,
                 args: argparse.Namespace, log) -> None:  # noqa: ANN001
        self.servers = servers if isinstance(servers, list) else [servers]
        self.server = self.servers[0]  # where the moderator's actions enter
        self.name, self.baseline, self.fixture, self.args, self.log = name, baseline, fixture, args, log
        self.n = args.clients
        self.out: dict = {"clients": self.n, "processes": len(self.servers)}
        self.actions: list[tuple[float, int, str, bool]] = []
        self.incomplete = 0
        self.expected = 0  # `qa` broadcasts every client should have received so far
        self.swarm: Swarm | None = None
        self.actor: Actor | None = None
        self.connected = self.alive = 0  # joined; still connected
        self.storm: dict | None = None
        self.per_action: list[list[float]] = []
        self.cpu_s = self.client_cpu_s = self.action_wall_s = 0.0  # summed over this layout's own actions
        self.idle_cpu_per_s: float | None = None
        self.profiler: Profiler | None = None  # py-spy on the first process during the actions (--py-spy)

    @property
    def pids(self) -> list[int]:
        return [s.proc.pid for s in self.servers if s.proc]

    def connect(self) -> None:
        args, log, out = self.args, self.log, self.out
        rss_before = [rss_kb(pid) for pid in self.pids]
        rate = getattr(args, "connect_rate", 0.0) or 0.0
        self.swarm = Swarm([s.base_url for s in self.servers], self.fixture["auths"][: self.n],
                           self.fixture["session_id"], args.client_procs, 0 if self.baseline else args.voters,
                           connect_rate=rate, connect_concurrency=getattr(args, "connect_concurrency", None))
        budget = CONNECT_TIMEOUT + (self.n / rate if rate > 0 else self.n / 50)
        t = time.monotonic()
        replies = self.swarm.ask(("connect", budget), timeout=budget + 60)
        self.connected = self.alive = connected = sum(r["connected"] for r in replies)
        out["connected"], out["connect_s"] = connected, round(time.monotonic() - t, 1)
        failures: dict[str, int] = {}
        for r in replies:
            for reason, k in r.get("failures", {}).items():
                failures[reason] = failures.get(reason, 0) + k
        out["connect_failures"], out["connect_failure_reasons"] = self.n - connected, failures
        log(f"  {self.name:9} connected {connected}/{self.n} clients in {out['connect_s']} s over "
            f"{len(self.servers)} process(es)" + (f"; {self.n - connected} failed: {failures}" if failures else ""))
        for r in replies:
            for e in r["errors"][:2]:
                log(f"    connect error   {e}")
        time.sleep(2)  # let the servers settle before reading their memory
        rss_after = [rss_kb(pid) for pid in self.pids]
        per_proc = [sum(r.get("by_url", {}).get(s.base_url, 0) for r in replies) for s in self.servers]
        out["connected_per_process"] = per_proc
        if all(rss_before) and all(rss_after) and connected:
            out["rss_before_mb"] = [round(b / 1024, 1) for b in rss_before]
            out["rss_after_mb"] = [round(a / 1024, 1) for a in rss_after]
            out["kb_per_connection"] = round(sum(a - b for a, b in zip(rss_after, rss_before, strict=True))
                                             / connected, 1)
            for k, (b, a) in enumerate(zip(rss_before, rss_after, strict=True)):
                log(f"  {self.name:9} memory    process {k + 1} (pid {self.pids[k]}): VmRSS {b / 1024:.1f} MB -> "
                    f"{a / 1024:.1f} MB with {per_proc[k]} clients: {(a - b) / max(1, per_proc[k]):.1f} kB each")
            log(f"  {self.name:9} memory    {out['kb_per_connection']} kB per connection over all processes")
        clients_rss = [rss_kb(p.pid) or 0 for p, _ in self.swarm.workers]
        out["client_procs_rss_mb"] = round(sum(clients_rss) / 1024, 1)
        log(f"  {self.name:9} clients   {len(clients_rss)} client processes hold VmRSS {out['client_procs_rss_mb']} MB")
        self.actor = Actor(self.server.base_url, baseline=self.baseline, session_id=self.fixture["session_id"],
                           moderator_email=self.fixture.get("moderator_email", ""))

    def measure_idle(self, seconds: float = IDLE_SECONDS) -> None:
        """CPU per second of this layout's servers while all its clients are connected and nothing is sent
        (engine.io pings, the app's periodic sweeps): subtracted from the actions' CPU for the net figure."""
        c0, t0 = cpu_seconds(self.pids), time.monotonic()
        time.sleep(seconds)
        self.idle_cpu_per_s = (cpu_seconds(self.pids) - c0) / (time.monotonic() - t0)
        self.out["idle_cpu_ms_per_s"] = round(self.idle_cpu_per_s * 1000, 1)

    def act(self, qid: int, action: str) -> None:
        """Time one action; return once every client has all of its broadcasts (nothing left in flight)."""
        status, pinned = "approved", action == "pin"
        workers = [p.pid for p, _ in self.swarm.workers]
        c0, w0, t_start = cpu_seconds(self.pids), cpu_seconds(workers), time.monotonic()
        t0, broadcasts = self.actor.act(qid, action)
        self.actions.append((t0, qid, status, pinned))
        self.expected += broadcasts
        seen, alive = wait_all_seen(self.swarm, self.expected)
        self.cpu_s += cpu_seconds(self.pids) - c0
        self.client_cpu_s += cpu_seconds(workers) - w0
        self.action_wall_s += time.monotonic() - t_start
        if seen < alive:
            self.incomplete += 1
            self.log(f"  {self.name:9} {action} #{qid}: only {seen}/{alive} clients still connected got it within "
                     f"{ACTION_TIMEOUT:.0f}s")
        if alive < self.connected and alive < self.alive:
            self.log(f"  {self.name:9} {action} #{qid}: {self.connected - alive} of {self.connected} clients dropped "
                     "since they joined")
        self.alive = alive

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
            server_of = self.swarm.server_of if self.swarm else None
        finally:
            self.close()
        out, log = self.out, self.log
        got = delays_from(reports, self.actions, server_of)
        per_action, missing = got["per_action"], got["missing"]
        self.per_action = per_action
        for (_, qid, _status, pinned), d in zip(self.actions, per_action, strict=True):
            if d:
                log(f"  {self.name:9} {'pin' if pinned else 'approve'} #{qid}: p50 {percentile(d, 50):.0f} ms, "
                    f"p99 {percentile(d, 99):.0f} ms, max {d[-1]:.0f} ms ({len(d)} clients)")
        delays = sorted(x for d in per_action for x in d)
        reasons: dict[str, int] = {}
        for rep in reports:
            for reason in rep.get("dropped", {}).values():
                reasons[reason] = reasons.get(reason, 0) + 1
        dropped = sum(reasons.values())
        out["dropped_reasons"] = reasons
        out.update({
            "actions": len(self.actions), "deliveries": len(delays), "missing_deliveries": missing,
            "incomplete_actions": self.incomplete, "dropped_after_join": dropped,
            "p50_ms": round(percentile(delays, 50), 1), "p90_ms": round(percentile(delays, 90), 1),
            "p99_ms": round(percentile(delays, 99), 1), "max_ms": round(delays[-1], 1) if delays else None,
        })
        log(f"  {self.name:9} delay     {len(self.actions)} actions x {self.connected} clients: p50 {out['p50_ms']} ms,"
            f" p90 {out['p90_ms']} ms, p99 {out['p99_ms']} ms, max {out['max_ms']} ms; {missing} deliveries missing"
            f", {dropped} clients dropped after joining" + (f" {reasons}" if reasons else ""))
        if len(self.servers) > 1:
            out["per_process"] = []
            for k in range(len(self.servers)):
                d = got["per_server"].get(k, [])
                fig = {"process": k + 1, "deliveries": len(d), "p50_ms": round(percentile(d, 50), 1),
                       "p99_ms": round(percentile(d, 99), 1), "max_ms": round(d[-1], 1) if d else None}
                out["per_process"].append(fig)
                log(f"  {self.name:9} process {k + 1}{' (moderator)' if k == 0 else '':12} {len(d)} deliveries: "
                    f"p50 {fig['p50_ms']} ms, p99 {fig['p99_ms']} ms, max {fig['max_ms']} ms")
        messages = got["messages"]
        out["messages"] = messages
        if messages and self.cpu_s:
            idle = (self.idle_cpu_per_s or 0.0) * self.action_wall_s
            out["cpu_s"], out["idle_share_s"] = round(self.cpu_s, 2), round(idle, 2)
            out["cpu_us_per_delivery"] = round(self.cpu_s / messages * 1e6, 1)
            out["net_cpu_us_per_delivery"] = round(max(0.0, self.cpu_s - idle) / messages * 1e6, 1)
            out["client_cpu_us_per_delivery"] = round(self.client_cpu_s / messages * 1e6, 1)
            log(f"  {self.name:9} cpu       servers {self.cpu_s:.2f} s during their {len(self.actions)} actions "
                f"({self.action_wall_s:.1f} s, idle rate {out.get('idle_cpu_ms_per_s', '?')} ms/s) for {messages} "
                f"messages delivered: {out['cpu_us_per_delivery']} us each ({out['net_cpu_us_per_delivery']} us net "
                f"of idle); clients {out['client_cpu_us_per_delivery']} us each")
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
