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
import os  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench._baseline import serve_baseline  # noqa: E402
from bench._qa_target import MODERATOR_PASSWORD, Target  # noqa: E402
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

DB_NAME = "eventhub_bench_qa"


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
