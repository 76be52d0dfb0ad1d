"""Door check-in: several scanners scan every ticket at once; each ticket must be admitted exactly once.

    python -m bench.checkin [--database-url URL] [--tickets 400] [--scanners 4] [--rate 200]
                            [--async-mode gevent|threading] [--processes 2 --redis-url URL]
                            [--baseline-root DIR] [--repeats N] [--py-spy PATH]

Starts its own server (`python -m eventhub` on a free port, fresh database; helpers shared with
bench.registration), seeds one event with `--tickets` confirmed registrations and one API token per scanner,
then runs `--scanners` client threads, each with its own keep-alive connection and token, each scanning every
ticket in the same order (so every ticket is raced by all scanners) through POST /api/v1/events/<id>/checkins,
paced to `--rate` scans/s in total (0: as fast as possible). Reports scans/s, client latency and server-side
time (the response's Server-Timing header: the request's time inside the app), and the race check: admissions
must equal tickets, here and in the server's scan log. The last line printed is one JSON object.

`--processes 2`: that many server processes on one database, sharing Redis (SOCKETIO_MESSAGE_QUEUE, on a channel
of their own), scanner k talking to process k mod N. CPU per scan is the sum over the processes.
`--baseline-root DIR`: another checkout's server runs in rounds alternating with this one's (same run, same load).

Exit status: 0 when every scan got 200 and the race check passes, 1 otherwise, 2 when the run could not be set up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests

from bench._server import (
    Profiler,
    Server,
    SetupError,
    code_roots,
    free_port,
    new_run_dir,
    percentile,
    proc_cpu,
    profile_summary,
    report_rounds,
    round_database,
    run_rounds,
    scan_server_log,
    server_env,
)

REQUEST_TIMEOUT = (5.0, 30.0)
SERVER_TIMING = re.compile(r"app;dur=([0-9.]+)")


# --- seed (run in a child process with the server's environment) ---------------------------------------------

def seed(tickets: int, scanners: int) -> None:
    from datetime import UTC, timedelta

    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.auth.services import create_api_token, create_user
    from eventhub.checkin.services import ensure_default_point
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event
    from eventhub.extensions import db
    from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus, Ticket
    from eventhub.tickets import codes as ticket_codes

    app = create_app()
    with app.app_context():
        upgrade()
        user = create_user("bench-door@example.org", "Bench Organizer", "bench-password-123")
        starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
        event = create_event(EventData(title="Check-in benchmark", starts_at=starts,
                                       ends_at=starts + timedelta(hours=8), capacity=tickets), by=user)
        publish_event(event)
        point = ensure_default_point(event)[0]
        tokens = [create_api_token(event, user, f"scanner {k}")[1] for k in range(scanners)]
        # Registrations are inserted directly (no confirmation mail): the benchmark is about the door.
        now = datetime.now(UTC)
        codes = []
        for i in range(tickets):
            r = Registration(event_id=event.id, name=f"Bench Person {i}", email=f"b{i}@example.org",
                             email_normalized=f"b{i}@example.org", organization="Bench", country="ML",
                             mode=AttendanceMode.IN_PERSON, status=RegistrationStatus.CONFIRMED, created_at=now,
                             confirmed_at=now)
            db.session.add(r)
            db.session.flush()
            secret = ticket_codes.new_secret()
            code = ticket_codes.encode(event.id, secret, event.signing_key)
            db.session.add(Ticket(registration_id=r.id, event_id=event.id, secret=secret, code=code))
            codes.append(code)
        event.confirmed_in_person = tickets
        commit()
        print(json.dumps({"event_id": event.id, "point_id": point.id, "tokens": tokens, "codes": codes}), flush=True)


# --- load -----------------------------------------------------------------------------------------------------

@dataclass
class Scan:
    ticket: int
    scanner: int
    status: int
    result: str
    latency_ms: float
    server_ms: float | None


def run_scanners(base_urls: list[str], fixture: dict, scanners: int, rate: float) -> tuple[list[Scan], float]:
    codes = fixture["codes"]
    results: list[Scan] = []
    lock = threading.Lock()
    barrier = threading.Barrier(scanners + 1)
    interval = scanners / rate if rate > 0 else 0.0  # per scanner, so the total is `rate`

    def scanner(k: int) -> None:
        url = f"{base_urls[k % len(base_urls)]}/api/v1/events/{fixture['event_id']}/checkins"
        session = requests.Session()
        session.headers.update({"Authorization": f"Bearer {fixture['tokens'][k]}", "Accept-Language": "en"})
        local: list[Scan] = []
        barrier.wait()
        start = time.perf_counter()
        for i, code in enumerate(codes):
            if interval:
                delay = start + i * interval - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
            body = {"code": code, "point_id": fixture["point_id"], "nonce": f"{k}-{i}-{uuid.uuid4().hex[:8]}",
                    "device_id": f"bench-{k}"}
            t0 = time.perf_counter()
            try:
                r = session.post(url, json=body, timeout=REQUEST_TIMEOUT)
                latency = (time.perf_counter() - t0) * 1000
                m = SERVER_TIMING.search(r.headers.get("Server-Timing", ""))
                result = r.json().get("result", "") if r.status_code == 200 else r.text[:200]
                local.append(Scan(i, k, r.status_code, result, latency, float(m.group(1)) if m else None))
            except requests.RequestException as exc:
                local.append(Scan(i, k, 0, f"{type(exc).__name__}", (time.perf_counter() - t0) * 1000, None))
        session.close()
        with lock:
            results.extend(local)

    threads = [threading.Thread(target=scanner, args=(k,), daemon=True) for k in range(scanners)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - t0


def server_log_admissions(base_url: str, fixture: dict) -> int:
    headers = {"Authorization": f"Bearer {fixture['tokens'][0]}"}
    admitted, offset = 0, 0
    while True:
        r = requests.get(f"{base_url}/api/v1/events/{fixture['event_id']}/checkins/log",
                         params={"limit": 5000, "offset": offset}, headers=headers, timeout=60)
        if r.status_code != 200:
            raise SetupError(f"reading the scan log: HTTP {r.status_code} {r.text[:200]}")
        items = r.json()["items"]
        admitted += sum(1 for i in items if i["result"] == "admitted")
        offset += len(items)
        if not items:
            return admitted


# --- main -----------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.checkin", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=None,
                   help="postgresql://... (a fresh database named eventhub_bench is created on that server); "
                        "default: a fresh SQLite file in the run directory")
    p.add_argument("--tickets", type=int, default=400)
    p.add_argument("--scanners", type=int, default=4)
    p.add_argument("--rate", type=float, default=200.0, help="total scans per second (0: unpaced)")
    p.add_argument("--async-mode", choices=("gevent", "threading"), default="gevent")
    p.add_argument("--processes", type=int, default=1, help="server processes (2+: needs PostgreSQL and Redis)")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0", help="message queue for --processes 2+")
    p.add_argument("--baseline-root", type=Path, default=None,
                   help="another checkout (e.g. `git archive main | tar -x -C DIR`) run in alternating rounds")
    p.add_argument("--repeats", type=int, default=1)
    p.add_argument("--py-spy", default=None, help="path of a py-spy binary: profile server process 1")
    p.add_argument("--run-dir", type=Path, default=None)
    p.add_argument("--seed", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.tickets < 1 or args.scanners < 1 or args.rate < 0 or args.processes < 1 or args.repeats < 1:
        p.error("--tickets, --scanners, --processes and --repeats must be >= 1, --rate >= 0")
    return args


def run_round(args: argparse.Namespace, root: Path, run_dir: Path, backend: str) -> dict:
    servers: list[Server] = []
    profiler: Profiler | None = None
    with round_database(args.database_url, backend, run_dir) as (db_url, instance_dir):
        try:
            env = server_env(db_url, instance_dir, args.async_mode)
            if args.processes > 1:  # a channel of this run's own: other runs may share the Redis server
                env.update(SOCKETIO_MESSAGE_QUEUE=args.redis_url, SOCKETIO_CHANNEL=f"bench-checkin-{uuid.uuid4().hex}")
            done = subprocess.run([sys.executable, "-m", "bench.checkin", "--seed", "--tickets", str(args.tickets),
                                   "--scanners", str(args.scanners)], cwd=root, env=env, capture_output=True,
                                  text=True, timeout=300)
            (run_dir / "seed.log").write_text(done.stderr)
            if done.returncode != 0:
                raise SetupError(f"seed step failed (status {done.returncode}):\n{done.stderr[-3000:]}")
            fixture = json.loads(done.stdout.strip().splitlines()[-1])
            for k in range(args.processes):
                server = Server({**env, "PORT": str(free_port())} if k else env, run_dir, args.async_mode,
                                name=f"server{k + 1}", root=root)
                servers.append(server)
                server.start()
            for server in servers:
                server.wait_healthy()
                requests.get(f"{server.base_url}/api/v1/events/{fixture['event_id']}", timeout=30).raise_for_status()
            if args.py_spy:
                profiler = Profiler(args.py_spy, servers[0].proc.pid, run_dir / "profile.txt")
            load = os.getloadavg()[0]
            cpu_before = [proc_cpu(s.proc.pid) for s in servers]
            scans, wall = run_scanners([s.base_url for s in servers], fixture, args.scanners, args.rate)
            cpu_after = [proc_cpu(s.proc.pid) for s in servers]
            if profiler:
                profiler.stop()
            logged_admissions = server_log_admissions(servers[0].base_url, fixture)
        finally:
            if profiler and profiler.proc.poll() is None:
                profiler.stop()
            for server in servers:
                server.stop()
    tracebacks = sum(scan_server_log(s.stderr_path)["tracebacks"] for s in servers)
    ok = [s for s in scans if s.status == 200]
    latencies = sorted(s.latency_ms for s in ok)
    server_ms = sorted(s.server_ms for s in ok if s.server_ms is not None)
    admitted_by_ticket: dict[int, int] = {}
    for s in ok:
        if s.result == "admitted":
            admitted_by_ticket[s.ticket] = admitted_by_ticket.get(s.ticket, 0) + 1
    admitted = sum(admitted_by_ticket.values())
    by_result: dict[str, int] = {}
    for s in scans:
        key = s.result if s.status == 200 else f"http-{s.status or 'none'}"
        by_result[key] = by_result.get(key, 0) + 1
    problems = []
    if admitted != args.tickets or any(n != 1 for n in admitted_by_ticket.values()):
        problems.append(f"{admitted} admissions for {args.tickets} tickets "
                        f"({sum(1 for n in admitted_by_ticket.values() if n > 1)} admitted more than once)")
    if logged_admissions != args.tickets:
        problems.append(f"the server's scan log holds {logged_admissions} admissions for {args.tickets} tickets")
    if len(ok) != len(scans):
        problems.append(f"{len(scans) - len(ok)} scans without a 200 answer")
    if tracebacks:
        problems.append(f"{tracebacks} tracebacks in the server logs ({run_dir})")
    cpu = [a[0] - b[0] for a, b in zip(cpu_after, cpu_before, strict=True) if a and b]

    def pct(values: list[float], q: float) -> float:
        return round(percentile(values, q), 1) if values else float("nan")

    return {
        "scans": len(scans), "scans_per_s": round(len(ok) / wall if wall else 0.0, 1),
        "p50_ms": pct(latencies, 50), "p99_ms": pct(latencies, 99),
        "server_p50_ms": pct(server_ms, 50), "server_p99_ms": pct(server_ms, 99),
        "cpu_ms_per_scan": round(1000 * sum(cpu) / max(1, len(scans)), 2),
        "cpu_s_per_process": [round(c, 2) for c in cpu],
        "admitted": admitted, "admitted_in_log": logged_admissions, "results": by_result, "problems": problems,
        "load_avg_1m_before": round(load, 2),
        "profile": profile_summary(run_dir / "profile.txt") if args.py_spy else None, "run_dir": str(run_dir),
    }


FIGURES = ("scans_per_s", "p50_ms", "p99_ms", "server_p50_ms", "server_p99_ms", "cpu_ms_per_scan", "admitted")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed:
        seed(args.tickets, args.scanners)
        return 0
    db_url = args.database_url
    backend = "postgresql" if db_url and db_url.startswith(("postgres://", "postgresql")) else "sqlite"
    if args.processes > 1 and backend != "postgresql":
        print("--processes 2+ needs --database-url postgresql://...", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = new_run_dir(args.run_dir, f"{stamp}-checkin-{backend}-{args.async_mode}")
    codes = code_roots(args.baseline_root)
    print(f"backend            {backend}, async mode {args.async_mode}, {args.processes} server process(es)"
          + (" sharing Redis" if args.processes > 1 else ""))
    print(f"machine            {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"scans              {args.scanners} scanners x {args.tickets} tickets, target {args.rate:g} scans/s"
          f"{' (unpaced)' if not args.rate else ''}; {args.repeats} round(s) each of: "
          + ", ".join(f"{n} ({r})" for n, r in codes))
    t_start = time.monotonic()
    rounds = run_rounds(
        codes, args.repeats, run_dir, lambda root, round_dir: run_round(args, root, round_dir, backend),
        lambda got: (f"{got['scans_per_s']:6.1f} scans/s  client p50 {got['p50_ms']} "
                     f"p99 {got['p99_ms']} ms  server p50 {got['server_p50_ms']} p99 {got['server_p99_ms']} ms  "
                     f"cpu {got['cpu_ms_per_scan']} ms/scan {got['cpu_s_per_process']} s  "
                     f"admitted {got['admitted']} (log {got['admitted_in_log']})  load {got['load_avg_1m_before']}"))
    if rounds is None:
        return 2
    summary: dict = {"backend": backend, "async_mode": args.async_mode, "processes": args.processes,
                     "tickets": args.tickets, "scanners": args.scanners, "target_rate": args.rate,
                     "repeats": args.repeats, "cpus": os.cpu_count(), "load_avg_1m_end": round(os.getloadavg()[0], 2),
                     "run_dir": str(run_dir)}
    return report_rounds(summary, rounds, FIGURES, width=18, py_spy=bool(args.py_spy),
                         profile_label="last round, process 1", started=t_start)


if __name__ == "__main__":
    sys.exit(main())
