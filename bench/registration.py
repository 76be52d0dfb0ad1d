"""Registration burst: many people register at once for an event with few seats.

    python -m bench.registration [--database-url URL] [--requests 400] [--concurrency 50] [--capacity 40]
                                 [--async-mode gevent|threading]

Starts its own server (`python -m eventhub` on a free port, fresh database), fires `--requests` registrations
(distinct emails, in person, organizer bearer token, so the per-IP rate limit does not apply) from
`--concurrency` client threads, each with its own keep-alive connection, then checks through the API that the
event is not overbooked: exactly `capacity` confirmed, the rest waitlisted with positions 1..N in id order,
and `seats_left` consistent. The last line printed is one JSON object with the figures.

Exit status: 0 when every registration got 201 and the checks pass, 1 otherwise, 2 when the run could not
be set up (server did not start, database unreachable...).

The server's stdout/stderr go to files in the run directory (printed; under bench/results/ by default), and
any traceback or "database is locked" seen there is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from bench._server import (
    Profiler,
    Server,
    SetupError,
    code_roots,
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

REQUEST_TIMEOUT = (5.0, 30.0)  # connect, read
BURST_DEADLINE = 120.0  # no new request is started after this many seconds


# --- load -----------------------------------------------------------------------------------------------------

@dataclass
class Result:
    index: int
    status: int  # 0: no HTTP response
    latency_s: float
    body: dict | None = None
    error: str = ""


@dataclass
class Burst:
    results: list[Result] = field(default_factory=list)
    wall_s: float = 0.0
    not_started: int = 0


def run_burst(base_url: str, event_id: int, token: str, n: int, concurrency: int, run_tag: str) -> Burst:
    url = f"{base_url}/api/v1/events/{event_id}/registrations"
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    workers = max(1, min(concurrency, n))
    lock = threading.Lock()
    next_index = [0]
    results: list[Result] = []
    barrier = threading.Barrier(workers + 1)
    deadline = [0.0]

    def take() -> int | None:
        with lock:
            if next_index[0] >= n or time.monotonic() > deadline[0]:
                return None
            next_index[0] += 1
            return next_index[0] - 1

    def worker() -> None:
        session = requests.Session()
        session.headers.update(headers)
        local: list[Result] = []
        try:
            barrier.wait()
            while (i := take()) is not None:
                payload = {
                    "name": f"Bench Person {i}", "email": f"bench-{run_tag}-{i}@example.org", "country": "ML",
                    "mode": "in_person", "consent": True,
                }
                t0 = time.perf_counter()
                try:
                    r = session.post(url, json=payload, timeout=REQUEST_TIMEOUT)
                    elapsed = time.perf_counter() - t0
                    try:
                        body = r.json()
                    except ValueError:
                        body = {"_text": r.text[:500]}
                    local.append(Result(i, r.status_code, elapsed, body))
                except requests.RequestException as exc:
                    local.append(Result(i, 0, time.perf_counter() - t0, None, f"{type(exc).__name__}: {exc}"[:300]))
        finally:
            session.close()
            with lock:
                results.extend(local)

    threads = [threading.Thread(target=worker, name=f"bench-{k}", daemon=True) for k in range(workers)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + BURST_DEADLINE
    barrier.wait()  # every worker has its session; go
    t0 = time.perf_counter()
    for t in threads:
        t.join(BURST_DEADLINE + REQUEST_TIMEOUT[1] + 10)
    wall = time.perf_counter() - t0
    with lock:
        done = list(results)
    return Burst(sorted(done, key=lambda r: r.index), wall, n - len(done))


# --- verification ---------------------------------------------------------------------------------------------

def fetch_registrations(base_url: str, event_id: int, token: str) -> list[dict]:
    headers = {"Authorization": f"Bearer {token}"}
    items: list[dict] = []
    offset = 0
    while True:
        r = requests.get(f"{base_url}/api/v1/events/{event_id}/registrations",
                         params={"limit": 1000, "offset": offset}, headers=headers, timeout=60)
        if r.status_code != 200:
            raise SetupError(f"listing registrations: HTTP {r.status_code} {r.text[:300]}")
        page = r.json()
        items.extend(page["items"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            return items


def verify(base_url: str, event_id: int, token: str, capacity: int, burst: Burst) -> dict:
    regs = sorted(fetch_registrations(base_url, event_id, token), key=lambda r: r["id"])
    r = requests.get(f"{base_url}/api/v1/events/{event_id}", timeout=30)
    if r.status_code != 200:
        raise SetupError(f"reading the event: HTTP {r.status_code} {r.text[:300]}")
    event = r.json()
    created = sum(1 for x in burst.results if x.status == 201)
    confirmed = [x for x in regs if x["status"] == "confirmed"]
    waitlisted = [x for x in regs if x["status"] == "waitlisted"]
    others = [x for x in regs if x["status"] not in ("confirmed", "waitlisted")]
    positions = [x["waitlist_position"] for x in waitlisted]
    expected_confirmed = min(capacity, created)
    problems: list[str] = []
    overbooked = len(confirmed) > capacity or event["seats_left"] < 0
    if overbooked:
        problems.append(f"OVERBOOKED: {len(confirmed)} confirmed for {capacity} seats")
    if len(regs) != created:
        problems.append(f"{len(regs)} registrations stored but {created} requests got 201")
    if len(confirmed) != expected_confirmed:
        problems.append(f"{len(confirmed)} confirmed, expected {expected_confirmed}")
    if len(waitlisted) != created - expected_confirmed:
        problems.append(f"{len(waitlisted)} waitlisted, expected {created - expected_confirmed}")
    if others:
        problems.append(f"{len(others)} registrations in another status")
    if sorted(positions) != list(range(1, len(waitlisted) + 1)):  # the line's order is the seat claim's, not ids'
        dupes = len(positions) - len(set(positions))
        problems.append(f"waitlist positions are not 1..{len(waitlisted)} ({dupes} duplicates)")
    expected_left = max(0, capacity - len(confirmed))
    if event["seats_left"] != expected_left:
        problems.append(f"seats_left is {event['seats_left']}, expected {expected_left}")
    if len({x["email"] for x in regs}) != len(regs):
        problems.append("duplicate emails stored")
    answered_emails = {x.body.get("email") for x in burst.results if x.status == 201 and x.body}
    if answered_emails != {x["email"] for x in regs}:
        problems.append("the stored emails differ from those the 201 answers returned")
    # Informational: what the 201 answers said, and whether seats went first-come-first-served by id.
    answered_positions = [x.body.get("waitlist_position") for x in burst.results
                          if x.status == 201 and x.body and x.body.get("status") == "waitlisted"]
    # What each waitlisted person was told must be where the server's list puts them (and so distinct).
    listed_position = {x["email"]: x["waitlist_position"] for x in waitlisted}
    told_wrong = sum(1 for x in burst.results if x.status == 201 and x.body and x.body.get("status") == "waitlisted"
                     and x.body.get("waitlist_position") != listed_position.get(x.body.get("email")))
    if len(set(answered_positions)) != len(answered_positions) or told_wrong:
        problems.append(f"waitlist positions told: {len(set(answered_positions))} distinct of "
                        f"{len(answered_positions)}, {told_wrong} differ from the server's list")
    max_confirmed_id = max((x["id"] for x in confirmed), default=0)
    waitlisted_before_last_confirmed = sum(1 for x in waitlisted if x["id"] < max_confirmed_id)
    return {
        "stored": len(regs), "confirmed": len(confirmed), "waitlisted": len(waitlisted),
        "seats_left": event["seats_left"], "overbooked": overbooked, "problems": problems,
        "answered_waitlist_positions_distinct": len(set(answered_positions)),
        "answered_waitlist_positions_total": len(answered_positions),
        "answered_waitlist_positions_wrong": told_wrong,
        "waitlisted_with_lower_id_than_a_confirmed": waitlisted_before_last_confirmed,
    }


# --- main -----------------------------------------------------------------------------------------------------

def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.registration", description=__doc__.split("\n\n")[0])
    p.add_argument("--database-url", default=None,
                   help="postgresql://... (a fresh database named eventhub_bench is created on that server); "
                        "default: a fresh SQLite file in the run directory")
    p.add_argument("--requests", type=int, default=400)
    p.add_argument("--concurrency", type=int, default=50)
    p.add_argument("--capacity", type=int, default=40)
    p.add_argument("--async-mode", choices=("gevent", "threading"), default="gevent")
    p.add_argument("--server", choices=("eventhub", "flask-run"), default="eventhub",
                   help="eventhub: `python -m eventhub` (default; SOCKETIO_ASYNC_MODE from --async-mode); flask-run: "
                        "`flask run --with-threads`, real OS threads, for comparison (implies --async-mode threading)")
    p.add_argument("--baseline-root", type=Path, default=None,
                   help="another checkout (e.g. `git archive main | tar -x -C DIR`): its server runs in rounds "
                        "alternating with this one's, same run, same load, for a fair before/after")
    p.add_argument("--repeats", type=int, default=1, help="rounds per code under test (alternating with baseline)")
    p.add_argument("--py-spy", default=None, help="path of a py-spy binary: profile the server during each burst")
    p.add_argument("--run-dir", type=Path, default=None,
                   help="where server logs (and the SQLite file) go; default bench/results/<time>-<backend>-<mode>")
    args = p.parse_args(argv)
    if args.server == "flask-run":
        args.async_mode = "threading"
    if args.requests < 1 or args.concurrency < 1 or args.capacity < 0 or args.repeats < 1:
        p.error("--requests, --concurrency and --repeats must be >= 1, --capacity >= 0")
    return args


def run_round(args: argparse.Namespace, root: Path, run_dir: Path, stamp: str, backend: str) -> dict:
    """One burst against a fresh database and a fresh server running the code in `root`; its figures."""
    server: Server | None = None
    profiler: Profiler | None = None
    with round_database(args.database_url, backend, run_dir) as (db_url, instance_dir):
        try:
            env = server_env(db_url, instance_dir, args.async_mode)
            seed = subprocess.run(
                [sys.executable, "-m", "bench._seed", "--capacity", str(args.capacity)], cwd=root, env=env,
                capture_output=True, text=True, timeout=600,  # a loaded machine migrates slowly
            )
            (run_dir / "seed.log").write_text(seed.stdout + seed.stderr)
            if seed.returncode != 0:
                raise SetupError(f"schema/seed step failed (status {seed.returncode}):\n{seed.stderr[-3000:]}")
            fixture = json.loads(seed.stdout.strip().splitlines()[-1])
            event_id, token = fixture["event_id"], fixture["token"]

            server = Server(env, run_dir, args.async_mode, args.server, root=root)
            server.start()
            server.wait_healthy()
            # One read to warm the app (imports, first DB connection); it creates nothing.
            requests.get(f"{server.base_url}/api/v1/events/{event_id}", timeout=30).raise_for_status()
            if args.py_spy:
                profiler = Profiler(args.py_spy, server.proc.pid, run_dir / "profile.txt")

            load_before = os.getloadavg()[0]
            cpu_before = proc_cpu(server.proc.pid)
            burst = run_burst(server.base_url, event_id, token, args.requests, args.concurrency,
                              f"{stamp}-{run_dir.name}")
            cpu_after = proc_cpu(server.proc.pid)
            if profiler:
                profiler.stop()
            server_cpu_s = cpu_after[0] - cpu_before[0] if cpu_before and cpu_after else None
            server_alive = server.proc is not None and server.proc.poll() is None
            check = verify(server.base_url, event_id, token, args.capacity, burst) if server_alive else None
        finally:
            if profiler and profiler.proc.poll() is None:
                profiler.stop()
            if server:
                server.stop()
    log_scan = scan_server_log(server.stderr_path)
    latencies = sorted(x.latency_s * 1000 for x in burst.results if x.status)
    by_status: dict[str, int] = {}
    for x in burst.results:
        key = str(x.status) if x.status else "no-response"
        by_status[key] = by_status.get(key, 0) + 1
    if burst.not_started:
        by_status["not-run"] = burst.not_started
    non_201 = args.requests - by_status.get("201", 0)
    rps = by_status.get("201", 0) / burst.wall_s if burst.wall_s > 0 else 0.0
    problems = (check["problems"] if check else ["server died before the check"]) + (
        [f"{non_201} requests without a 201"] if non_201 else [])
    if log_scan["tracebacks"]:
        problems.append(f"{log_scan['tracebacks']} tracebacks in {server.stderr_path}")
    return {
        "registrations_per_s": round(rps, 1),
        "p50_ms": round(percentile(latencies, 50), 1), "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(latencies[-1], 1) if latencies else None,
        "cpu_ms_per_registration": round(1000 * server_cpu_s / max(1, len(burst.results)), 2)
        if server_cpu_s is not None else None,
        "confirmed": check["confirmed"] if check else None, "waitlisted": check["waitlisted"] if check else None,
        "positions_told_distinct": check["answered_waitlist_positions_distinct"] if check else None,
        "positions_told_wrong": check["answered_waitlist_positions_wrong"] if check else None,
        "overbooked": bool(check and check["overbooked"]), "responses": by_status, "problems": problems,
        "wall_s": round(burst.wall_s, 2), "load_avg_1m_before": round(load_before, 2),
        "profile": profile_summary(run_dir / "profile.txt") if args.py_spy else None, "run_dir": str(run_dir),
    }


FIGURES = ("registrations_per_s", "p50_ms", "p95_ms", "p99_ms", "cpu_ms_per_registration", "confirmed",
           "positions_told_distinct", "positions_told_wrong")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db_url = args.database_url
    backend = "postgresql" if db_url and db_url.startswith(("postgres://", "postgresql")) else "sqlite"
    if db_url and backend == "sqlite" and not db_url.startswith("sqlite"):
        print(f"unsupported --database-url {db_url!r}", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    name = f"{stamp}-{backend}-{args.async_mode}" + (f"-{args.server}" if args.server != "eventhub" else "")
    run_dir = new_run_dir(args.run_dir, name)
    codes = code_roots(args.baseline_root)
    print(f"backend            {backend}, async mode {args.async_mode}, server {args.server}")
    print(f"machine            {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}; "
          f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    print(f"requests           {args.requests} (concurrency {args.concurrency}, capacity {args.capacity}), "
          f"{args.repeats} round(s) each of: {', '.join(f'{n} ({r})' for n, r in codes)}")
    t_start = time.monotonic()
    rounds = run_rounds(
        codes, args.repeats, run_dir, lambda root, round_dir: run_round(args, root, round_dir, stamp, backend),
        lambda got: (f"{got['registrations_per_s']:6.1f} reg/s  p50 {got['p50_ms']:7.0f}  "
                     f"p95 {got['p95_ms']:7.0f}  p99 {got['p99_ms']:7.0f} ms  "
                     f"cpu {got['cpu_ms_per_registration']} ms/reg  confirmed {got['confirmed']}  "
                     f"told {got['positions_told_distinct']} distinct / {got['waitlisted']} waitlisted, "
                     f"{got['positions_told_wrong']} wrong  load {got['load_avg_1m_before']}"))
    if rounds is None:
        return 2
    summary: dict = {"backend": backend, "async_mode": args.async_mode, "server": args.server,
                     "requests": args.requests, "concurrency": args.concurrency, "capacity": args.capacity,
                     "repeats": args.repeats, "cpus": os.cpu_count(), "load_avg_1m_end": round(os.getloadavg()[0], 2),
                     "run_dir": str(run_dir)}
    return report_rounds(summary, rounds, FIGURES, width=26, py_spy=bool(args.py_spy), profile_label="last round",
                         started=t_start)


if __name__ == "__main__":
    sys.exit(main())
