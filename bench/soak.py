"""Soak: mixed load for `--minutes` on PostgreSQL + Redis + 2 server processes; memory and latency per minute.

    python -m bench.soak [--minutes 20] [--database-url postgresql://postgres@127.0.0.1:5432/test]
                         [--redis-url redis://127.0.0.1:6379/7] [--phones 40] [--scan-rate 4] [--reg-rate 1]

Starts two `python -m eventhub` (gevent) sharing a fresh PostgreSQL database (`eventhub_bench_soak`) and Redis
(message queue on a channel of its own, rate-limit storage), seeded by bench.checkin's and bench.qa_fanout's seed
modes (an event with `--tickets` confirmed tickets and scanner tokens; a Q&A session with anonymous participant
keys and questions a moderator approves at the start). Then, spread over both processes:

- registrations: POST /api/v1/events/<id>/registrations at `--reg-rate`/s (bearer token, distinct emails);
- scans: POST /api/v1/events/<id>/checkins at `--scan-rate`/s, every ticket once in order, every 10th scanned a
  second time (answered `already`), each request with its own nonce;
- phones: `--phones` Socket.IO clients (python-socketio AsyncClient, websocket) that join the session, vote (and
  take votes back) every ~2 s, ask a question now and then, stay 15–45 s, disconnect and reconnect to the OTHER
  process with `join {since: last seq}` (the replay path);

Every minute: each server's RSS, and per kind the number of operations, p50/p99 latency and errors. At the end,
against the database: every acked question exists exactly once, every 200 scan is stored exactly once (by nonce)
and no ticket is admitted twice, every 201 registration exists; zero 5xx (HTTP status >= 500 or a socket
`server_error` ack); memory flat: each process's per-minute RSS after warm-up within ±10 % of its first
post-warm-up minute. Exit status 0 when all checks pass, 1 otherwise, 2 when the run could not be set up.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import datetime

import requests

from bench._qa_target import Actor
from bench._server import (
    ROOT,
    Server,
    SetupError,
    free_port,
    fresh_postgres_database,
    percentile,
    rss_kb,
    scan_server_log,
    server_env,
    tail,
)
from bench._swarm import NS

DB_NAME = "eventhub_bench_soak"


class Recorder:
    """Operations per minute: latency, errors, 5xx; thread-safe."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ops: dict[int, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.errors: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.fivexx = 0
        self.samples: list[str] = []
        self.t0 = time.monotonic()

    def minute(self) -> int:
        return int((time.monotonic() - self.t0) // 60)

    def ok(self, kind: str, ms: float) -> None:
        with self.lock:
            self.ops[self.minute()][kind].append(ms)

    def error(self, kind: str, what: str, *, server_fault: bool = False) -> None:
        with self.lock:
            self.errors[self.minute()][kind] += 1
            self.fivexx += server_fault
            if len(self.samples) < 10:
                self.samples.append(f"{kind}: {what}"[:300])


class State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.registered: list[str] = []  # emails answered 201
        self.scans_ok: list[str] = []  # nonces answered 200
        self.admitted: dict[int, int] = defaultdict(int)  # ticket index -> admissions told
        self.asked: dict[str, int] = {}  # text -> question id (acked)
        self.unacked_asks = 0
        self.stop = threading.Event()


WORKERS = 4  # client threads per HTTP kind: a slow answer does not stop the others (the rate stays the rate)


def http_loop(kind: str, rate: float, urls: list[str], make, rec: Recorder, state: State,  # noqa: ANN001
              offset: int = 0, step: int = 1) -> None:
    """Requests i = offset, offset + step, ... of `kind` at `rate`/s in all, alternating between the servers;
    `make(i)` -> (path, json, headers, on_ok), or None when there is nothing left."""
    sessions = [requests.Session() for _ in urls]
    i = offset
    start = time.monotonic()
    while not state.stop.is_set():
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            state.stop.wait(delay)
            continue
        job = make(i)
        if job is None:
            return
        path, body, headers, on_ok = job
        t = time.perf_counter()
        try:
            r = sessions[i % len(urls)].post(urls[i % len(urls)] + path, json=body, headers=headers, timeout=30)
            ms = (time.perf_counter() - t) * 1000
            if r.status_code >= 500:
                rec.error(kind, f"HTTP {r.status_code} {r.text[:150]}", server_fault=True)
            elif on_ok(r):
                rec.ok(kind, ms)
            else:
                rec.error(kind, f"HTTP {r.status_code} {r.text[:150]}")
        except requests.RequestException as exc:
            rec.error(kind, f"{type(exc).__name__}: {exc}")
        i += step


async def phone(k: int, urls: list[str], auth: dict, session_id: int, qids: list[int], rec: Recorder,
                state: State) -> None:
    import socketio

    rnd = random.Random(k)
    seq: int | None = None
    where = k % len(urls)
    voted: dict[int, bool] = {}
    await asyncio.sleep(rnd.uniform(0, 10))
    while not state.stop.is_set():
        c = socketio.AsyncClient(reconnection=False, request_timeout=30)
        last = {"seq": seq}

        @c.on("qa", namespace=NS)
        def on_qa(data, last=last):  # noqa: ANN001, ANN202
            if isinstance(data, dict) and isinstance(data.get("seq"), int):
                last["seq"] = max(last["seq"] or 0, data["seq"])

        async def call(kind: str, event: str, payload: dict, c=c) -> dict | None:  # noqa: ANN001
            t = time.perf_counter()
            try:
                ack = await c.call(event, payload, namespace=NS, timeout=30)
            except Exception as exc:  # noqa: BLE001
                rec.error(kind, f"{type(exc).__name__}: {exc}")
                return None
            if isinstance(ack, dict) and ack.get("ok"):
                rec.ok(kind, (time.perf_counter() - t) * 1000)
                return ack
            code = (ack or {}).get("error", {}).get("code") if isinstance(ack, dict) else None
            rec.error(kind, json.dumps(ack)[:200], server_fault=code == "server_error")
            return None

        try:
            t = time.perf_counter()
            await c.connect(urls[where], transports=["websocket"], namespaces=[NS], auth=auth, wait_timeout=30)
            rec.ok("connect", (time.perf_counter() - t) * 1000)
            ack = await call("join", "join", {"session_id": session_id, "since": seq})
            if ack:
                last["seq"] = max(last["seq"] or 0, ack["data"]["seq"])
            stay = time.monotonic() + rnd.uniform(15, 45)
            while time.monotonic() < stay and not state.stop.is_set():
                await asyncio.sleep(rnd.uniform(1.0, 3.0))
                if rnd.random() < 0.03:
                    text = f"soak {uuid.uuid4().hex}: what comes next?"
                    ack = await call("ask", "ask", {"session_id": session_id, "text": text})
                    with state.lock:
                        if ack:
                            state.asked[text] = ack["data"]["question"]["id"]
                        else:
                            state.unacked_asks += 1
                else:
                    qid = rnd.choice(qids)
                    voted[qid] = not voted.get(qid, False)
                    await call("vote", "vote", {"question_id": qid, "up": voted[qid]})
        except Exception as exc:  # noqa: BLE001
            rec.error("connect", f"{type(exc).__name__}: {exc}")
        finally:
            try:
                await c.disconnect()
            except Exception:  # noqa: BLE001, S110
                pass
        seq = last["seq"]
        where = (where + 1) % len(urls)  # the phone comes back on the other process
        await asyncio.sleep(rnd.uniform(0.5, 2.0))


def phones_thread(n: int, urls: list[str], fixture: dict, qids: list[int], rec: Recorder, state: State) -> None:
    async def main() -> None:
        await asyncio.gather(*(phone(k, urls, fixture["auths"][k], fixture["session_id"], qids, rec, state)
                               for k in range(n)))

    asyncio.run(main())


def verify(db_url: str, state: State, checkin: dict) -> list[str]:
    """Lost or duplicated questions, scans, registrations, double admissions, read from the database."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    problems = []
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT text, count(*) FROM qa_questions WHERE text LIKE 'soak %' GROUP BY text"))
        in_db = {t: n for t, n in rows}
        lost = [t for t in state.asked if t not in in_db]
        dup = [t for t, n in in_db.items() if n > 1]
        if lost or dup:
            problems.append(f"questions: {len(lost)} acked but not stored, {len(dup)} stored twice")
        n_scans = conn.scalar(text("SELECT count(*) FROM checkin_scans WHERE nonce LIKE 'soak-%'"))
        if n_scans != len(state.scans_ok):
            problems.append(f"scans: {len(state.scans_ok)} answered 200, {n_scans} stored")
        twice = conn.scalar(text("SELECT count(*) FROM (SELECT registration_id FROM checkins WHERE undone_at IS NULL "
                                 "GROUP BY registration_id, point_id HAVING count(*) > 1) x"))
        admitted = conn.scalar(text("SELECT count(*) FROM checkins WHERE event_id = :e AND undone_at IS NULL"),
                               {"e": checkin["event_id"]})
        told = sum(state.admitted.values())
        if twice or admitted != told or any(n > 1 for n in state.admitted.values()):
            problems.append(f"admissions: {admitted} stored, {told} told 'admitted', {twice} registrations twice")
        regs = conn.scalar(text("SELECT count(*) FROM registrations WHERE email LIKE 'soak-%'"))
        if regs != len(state.registered):
            problems.append(f"registrations: {len(state.registered)} answered 201, {regs} stored")
    engine.dispose()
    return problems


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=20.0)
    p.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/test")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    p.add_argument("--phones", type=int, default=40)
    p.add_argument("--tickets", type=int, default=5000)
    p.add_argument("--scan-rate", type=float, default=4.0)
    p.add_argument("--reg-rate", type=float, default=1.0)
    p.add_argument("--warmup-minutes", type=int, default=2)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915
    args = parse_args(argv)
    run_dir = ROOT / "bench" / "results" / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-soak"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "instance").mkdir(exist_ok=True)
    db_url = fresh_postgres_database(args.database_url, DB_NAME)
    env = server_env(db_url, run_dir / "instance", "gevent")
    env.update(SOCKETIO_MESSAGE_QUEUE=args.redis_url, REDIS_URL=args.redis_url, RATELIMIT_STORAGE_URI=args.redis_url,
               SOCKETIO_CHANNEL=f"eventhub-soak-{os.getpid()}", QA_VOTE_LIMIT="1000/minute")

    def log(msg: str) -> None:
        print(msg, flush=True)
        with open(run_dir / "summary.txt", "a") as f:
            f.write(msg + "\n")

    log(f"machine            {os.cpu_count()} CPUs, 1-min load average {os.getloadavg()[0]:.2f} (shared machine)")
    seeds = {}
    for name, argv_ in (("checkin", ["bench.checkin", "--seed", "--tickets", str(args.tickets), "--scanners", "2"]),
                        ("qa", ["bench.qa_fanout", "--seed", str(args.phones), "--seed-questions", "3"])):
        done = subprocess.run([sys.executable, "-m", *argv_], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=900)
        (run_dir / f"seed-{name}.log").write_text(done.stderr)
        if done.returncode != 0:
            print(f"seeding {name} failed:\n{done.stderr[-3000:]}", file=sys.stderr)
            return 2
        seeds[name] = json.loads(done.stdout.strip().splitlines()[-1])
    checkin, qa = seeds["checkin"], seeds["qa"]
    servers = []
    for k in range(2):
        servers.append(Server(dict(env, PORT=env["PORT"] if k == 0 else str(free_port())), run_dir, "gevent",
                              name=f"eventhub{k + 1}"))
    rec, state = Recorder(), State()
    threads: list[threading.Thread] = []
    per_minute: list[dict] = []
    try:
        for s in servers:
            s.start()
        for s in servers:
            s.wait_healthy(timeout=180)
        urls = [s.base_url for s in servers]
        log(f"servers            {', '.join(f'pid {s.proc.pid} {s.base_url}' for s in servers)}; Redis "
            f"{args.redis_url}; PostgreSQL {DB_NAME}")
        actor = Actor(urls[0], baseline=False, session_id=qa["session_id"], moderator_email=qa["moderator_email"])
        for qid in qa["question_ids"]:
            actor.act(qid, "approve")
        actor.close()
        scan_headers = [{"Authorization": f"Bearer {t}", "Accept-Language": "en"} for t in checkin["tokens"]]
        order = [i for i in range(len(checkin["codes"])) for _ in range(2 if i % 10 == 0 else 1)]

        def make_scan(i: int) -> tuple | None:
            if i >= len(order):
                return None
            ticket = order[i]
            nonce = f"soak-{i}-{uuid.uuid4().hex[:8]}"

            def on_ok(r: requests.Response) -> bool:
                if r.status_code != 200:
                    return False
                with state.lock:
                    state.scans_ok.append(nonce)
                    state.admitted[ticket] += r.json().get("result") == "admitted"
                return True
            return (f"/api/v1/events/{checkin['event_id']}/checkins",
                    {"code": checkin["codes"][ticket], "point_id": checkin["point_id"], "nonce": nonce,
                     "device_id": f"soak-{i % 2}"}, scan_headers[i % 2], on_ok)

        def make_registration(i: int) -> tuple:
            email = f"soak-{i}-{uuid.uuid4().hex[:6]}@example.org"

            def on_ok(r: requests.Response) -> bool:
                if r.status_code != 201:
                    return False
                with state.lock:
                    state.registered.append(email)
                return True
            return (f"/api/v1/events/{checkin['event_id']}/registrations",
                    {"name": f"Soak Person {i}", "email": email, "country": "ML", "mode": "in_person",
                     "consent": True}, scan_headers[0], on_ok)

        threads = [
            *(threading.Thread(target=http_loop, args=(kind, rate, urls, make, rec, state, w, WORKERS), daemon=True)
              for kind, rate, make in (("scan", args.scan_rate, make_scan),
                                       ("register", args.reg_rate, make_registration)) for w in range(WORKERS)),
            threading.Thread(target=phones_thread, args=(args.phones, urls, qa, qa["question_ids"], rec, state),
                             daemon=True),
        ]
        rec.t0 = time.monotonic()
        for t in threads:
            t.start()
        log(f"load               {args.reg_rate}/s registrations, {args.scan_rate}/s scans, {args.phones} phones "
            f"(vote every ~2 s, ask now and then, reconnect every 15-45 s to the other process), "
            f"{args.minutes:g} minutes")
        for m in range(int(args.minutes)):
            time.sleep(max(0.0, rec.t0 + (m + 1) * 60 - time.monotonic()))
            rss = [round((rss_kb(s.proc.pid) or 0) / 1024, 1) for s in servers]
            with rec.lock:
                ops = {k: sorted(v) for k, v in rec.ops[m].items()}
                errs = dict(rec.errors[m])
            row = {"minute": m + 1, "rss_mb": rss, "load": round(os.getloadavg()[0], 2), "errors": errs,
                   "ops": {k: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p99_ms": round(percentile(v, 99),
                                                                                                   1)}
                           for k, v in ops.items()}}
            per_minute.append(row)
            log(f"minute {m + 1:3}  RSS {' / '.join(f'{x} MB' for x in rss)}  load {row['load']}  " + "  ".join(
                f"{k} {o['n']} p50 {o['p50_ms']} p99 {o['p99_ms']} ms" for k, o in sorted(row["ops"].items()))
                + (f"  errors {errs}" if errs else ""))
    except (SetupError, OSError) as exc:
        print(f"bench setup failed: {exc}", file=sys.stderr)
        for s in servers:
            print(tail(s.stderr_path), file=sys.stderr)
        return 2
    finally:
        state.stop.set()
        for t in threads:
            t.join(60)
        for s in servers:
            s.stop()
    problems = verify(db_url, state, checkin)
    if rec.fivexx:
        problems.append(f"{rec.fivexx} server errors (5xx / server_error acks)")
    errors_in_logs = sum(scan_server_log(s.stderr_path)["error_records"] for s in servers)
    if errors_in_logs:
        problems.append(f"{errors_in_logs} error records in the servers' logs")
    warm = [r for r in per_minute if r["minute"] > args.warmup_minutes]
    drift = []
    for k in range(len(servers)):
        xs = [r["rss_mb"][k] for r in warm]
        drift.append(round((max(xs) - min(xs)) / xs[0] * 100, 1) if xs and xs[0] else None)
    if any(d is not None and d > 10 for d in drift):
        problems.append(f"memory not flat after warm-up: spread {drift} % of the first minute")
    for s in rec.samples:
        log(f"  sample error     {s}")
    log(f"totals             {len(state.registered)} registrations, {len(state.scans_ok)} scans "
        f"({sum(state.admitted.values())} admitted), {len(state.asked)} questions acked "
        f"({state.unacked_asks} unacked), memory spread after warm-up {drift} %")
    log("checks             " + ("all passed (no loss, no duplicate, no 5xx, memory flat)" if not problems
                                 else "; ".join(problems)))
    summary = {"minutes": args.minutes, "per_minute": per_minute, "rss_spread_pct": drift, "problems": problems,
               "registrations": len(state.registered), "scans": len(state.scans_ok),
               "questions": len(state.asked), "fivexx": rec.fivexx, "run_dir": str(run_dir)}
    print(json.dumps(summary))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
