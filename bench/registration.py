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
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import requests

from bench._server import (
    ROOT,
    Server,
    SetupError,
    fresh_postgres_database,
    percentile,
    proc_cpu,
    scan_server_log,
    server_env,
    tail,
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
    if positions != list(range(1, len(waitlisted) + 1)):
        dupes = len(positions) - len(set(positions))
        problems.append(f"waitlist positions are not 1..{len(waitlisted)} in id order ({dupes} duplicates)")
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
    max_confirmed_id = max((x["id"] for x in confirmed), default=0)
    waitlisted_before_last_confirmed = sum(1 for x in waitlisted if x["id"] < max_confirmed_id)
    return {
        "stored": len(regs), "confirmed": len(confirmed), "waitlisted": len(waitlisted),
        "seats_left": event["seats_left"], "overbooked": overbooked, "problems": problems,
        "answered_waitlist_positions_distinct": len(set(answered_positions)),
        "answered_waitlist_positions_total": len(answered_positions),
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
    p.add_argument("--run-dir", type=Path, default=None,
                   help="where server logs (and the SQLite file) go; default bench/results/<time>-<backend>-<mode>")
    args = p.parse_args(argv)
    if args.server == "flask-run":
        args.async_mode = "threading"
    if args.requests < 1 or args.concurrency < 1 or args.capacity < 0:
        p.error("--requests and --concurrency must be >= 1, --capacity >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    db_url = args.database_url
    backend = "postgresql" if db_url and db_url.startswith(("postgres://", "postgresql")) else "sqlite"
    if db_url and backend == "sqlite" and not db_url.startswith("sqlite"):
        print(f"unsupported --database-url {db_url!r}", file=sys.stderr)
        return 2
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_dir = args.run_dir or ROOT / "bench" / "results" / f"{stamp}-{backend}-{args.async_mode}"
    if args.server != "eventhub":
        run_dir = run_dir.with_name(run_dir.name + f"-{args.server}")
    while run_dir.exists() and args.run_dir is None:  # two runs started within the same second
        run_dir = run_dir.with_name(run_dir.name + "+")
    run_dir.mkdir(parents=True, exist_ok=True)
    instance_dir = run_dir / "instance"
    instance_dir.mkdir(exist_ok=True)

    t_start = time.monotonic()
    server: Server | None = None
    try:
        if backend == "postgresql":
            db_url = fresh_postgres_database(db_url)
        elif not db_url:
            db_url = f"sqlite:///{run_dir / 'bench.sqlite3'}"
        env = server_env(db_url, instance_dir, args.async_mode)

        seed = subprocess.run(
            [sys.executable, "-m", "bench._seed", "--capacity", str(args.capacity)], cwd=ROOT, env=env,
            capture_output=True, text=True, timeout=120,
        )
        (run_dir / "seed.log").write_text(seed.stdout + seed.stderr)
        if seed.returncode != 0:
            raise SetupError(f"schema/seed step failed (status {seed.returncode}):\n{seed.stderr[-3000:]}")
        fixture = json.loads(seed.stdout.strip().splitlines()[-1])
        event_id, token = fixture["event_id"], fixture["token"]

        server = Server(env, run_dir, args.async_mode, args.server)
        server.start()
        server.wait_healthy()
        # One read to warm the app (imports, first DB connection); it creates nothing.
        requests.get(f"{server.base_url}/api/v1/events/{event_id}", timeout=30).raise_for_status()

        load_before = os.getloadavg()[0]
        cpu_before = proc_cpu(server.proc.pid)
        client_before = os.times()
        threads_seen = [0]
        sampling = threading.Event()

        def sample_threads() -> None:  # the server's OS thread count: real threads or greenlets?
            while not sampling.wait(0.2):
                got = proc_cpu(server.proc.pid)
                threads_seen[0] = max(threads_seen[0], got[1] if got else 0)

        sampler = threading.Thread(target=sample_threads, daemon=True)
        sampler.start()
        burst = run_burst(server.base_url, event_id, token, args.requests, args.concurrency, stamp)
        sampling.set()
        sampler.join(2)
        cpu_after = proc_cpu(server.proc.pid)
        client_after = os.times()
        server_cpu_s = cpu_after[0] - cpu_before[0] if cpu_before and cpu_after else None
        client_cpu_s = (client_after.user + client_after.system) - (client_before.user + client_before.system)
        server_alive = server.proc is not None and server.proc.poll() is None
        check = verify(server.base_url, event_id, token, args.capacity, burst) if server_alive else None
    except (SetupError, requests.RequestException, ValueError, KeyError) as exc:
        print(f"bench setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if server:
            print(f"server stderr: {server.stderr_path}\n{tail(server.stderr_path)}", file=sys.stderr)
        return 2
    finally:
        if server:
            server.stop()
    total_s = time.monotonic() - t_start

    log_scan = scan_server_log(server.stderr_path)
    latencies = sorted(x.latency_s * 1000 for x in burst.results if x.status)
    by_status: dict[str, int] = {}
    for x in burst.results:
        key = str(x.status) if x.status else "no-response"
        by_status[key] = by_status.get(key, 0) + 1
    if burst.not_started:
        by_status["not-run"] = burst.not_started
    non_201 = args.requests - by_status.get("201", 0)
    ok201 = [x.latency_s for x in burst.results if x.status == 201]
    rps = len(ok201) / burst.wall_s if burst.wall_s > 0 else 0.0
    failed = non_201 > 0 or check is None or bool(check["problems"])
    overbooked = bool(check and check["overbooked"])

    stderr_shown = server.stderr_path.relative_to(ROOT) if server.stderr_path.is_relative_to(ROOT) \
        else server.stderr_path
    print(f"backend            {backend} ({db_url.split('@')[-1] if backend == 'postgresql' else 'SQLite file'})")
    print(f"async mode         {args.async_mode}"
          + ("" if args.server == "eventhub" else f" (server: {args.server}, no gevent)"))
    print(f"machine            {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}, "
          f"1-min load average {load_before:.2f} before the burst")
    print(f"requests           {args.requests} (concurrency {args.concurrency}, capacity {args.capacity})")
    print("responses          " + ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())))
    print(f"burst wall time    {burst.wall_s:.2f} s")
    if server_cpu_s is not None:
        per_request_ms = 1000 * server_cpu_s / max(1, len(burst.results))
        print(f"cpu during burst   server {server_cpu_s:.2f} s ({per_request_ms:.1f} ms/request, "
              f"max {threads_seen[0]} OS threads), load client {client_cpu_s:.2f} s")
    print(f"registrations/s    {rps:.1f}")
    print("latency ms         p50 {:.0f}  p90 {:.0f}  p99 {:.0f}  max {:.0f}".format(
        percentile(latencies, 50), percentile(latencies, 90), percentile(latencies, 99),
        latencies[-1] if latencies else float("nan")))
    if check:
        print(f"stored             {check['stored']} (confirmed {check['confirmed']}, "
              f"waitlisted {check['waitlisted']}, seats_left {check['seats_left']})")
        print(f"overbooking check  {'FAILED' if overbooked else 'OK'}")
        problems = "; ".join(check["problems"])
        print(f"consistency check  {'FAILED: ' + problems if problems else 'OK'}")
        print(f"fifo note          {check['waitlisted_with_lower_id_than_a_confirmed']} waitlisted registrations "
              f"have a lower id than the last confirmed one; waitlist positions in the 201 answers: "
              f"{check['answered_waitlist_positions_distinct']} distinct of "
              f"{check['answered_waitlist_positions_total']}")
    else:
        print("overbooking check  FAILED (server died before the check)")
    if non_201:
        for x in [x for x in burst.results if x.status != 201][:5]:
            body = json.dumps(x.body)[:300] if x.body else ""
            print(f"  non-201 sample   #{x.index}: {x.status or x.error} {body}")
    exceptions = ", ".join(f"{k} x{v}" for k, v in log_scan["exception_lines"].items())
    print(f"server stderr      {stderr_shown} ({log_scan['error_records']} errors logged, "
          f"{log_scan['database_is_locked']} of them 'database is locked'{'; ' + exceptions if exceptions else ''})")
    if log_scan["first_traceback"]:
        print("first traceback in server stderr:")
        print("\n".join("  | " + line for line in log_scan["first_traceback"].splitlines()))
    print(f"total run time     {total_s:.1f} s")

    if not failed and backend == "sqlite":
        # Keep the logs, drop the database file (kept when something failed, for inspection).
        for suffix in ("", "-wal", "-shm", "-journal"):
            (run_dir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
    shutil.rmtree(instance_dir, ignore_errors=True)

    summary = {
        "backend": backend, "async_mode": args.async_mode, "server": args.server, "requests": args.requests,
        "concurrency": args.concurrency, "capacity": args.capacity,
        "registrations_per_s": round(rps, 1),
        "p50_ms": round(percentile(latencies, 50), 1), "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1), "max_ms": round(latencies[-1], 1) if latencies else None,
        "responses": by_status, "non_201": non_201,
        "confirmed": check["confirmed"] if check else None, "waitlisted": check["waitlisted"] if check else None,
        "seats_left": check["seats_left"] if check else None, "overbooked": overbooked,
        "problems": check["problems"] if check else ["server died"],
        "server_errors": log_scan["error_records"], "server_tracebacks": log_scan["tracebacks"],
        "database_is_locked": log_scan["database_is_locked"],
        "wall_s": round(burst.wall_s, 2),
        "server_cpu_s": round(server_cpu_s, 2) if server_cpu_s is not None else None,
        "server_os_threads_max": threads_seen[0], "client_cpu_s": round(client_cpu_s, 2),
        "load_avg_1m_before": round(load_before, 2),
        "cpus": os.cpu_count(), "run_dir": str(run_dir),
    }
    print(json.dumps(summary))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
