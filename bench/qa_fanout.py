"""Live Q&A fan-out: how fast a moderator's action reaches thousands of phones, against a bare Socket.IO server.

    python -m bench.qa_fanout [--clients 2000] [--client-procs 2] [--database-url URL] [--actions 40] [--repeats 3]
                              [--processes 1] [--redis-url redis://127.0.0.1:6379/0] [--connect-rate 300]
                              [--voters 200] [--vote-rate 400] [--storm-seconds 8] [--skip-baseline] [--py-spy PATH]

Starts its own servers on free ports of 127.0.0.1, each layout in its own process groups:

1. eventhub: `python -m eventhub` (gevent; SQLite in the run directory unless `--database-url postgresql://…`,
   where a database of the run's own is created and dropped), seeded by this file in `--seed` mode through the
   app's services: an event, an agenda session with Q&A (pre-moderated, anonymous participation on), a moderator,
   one participant key per client and `--actions / 2 x --repeats` pending questions;
2. the baseline: a BARE python-socketio server (`socketio.Server(async_mode="gevent")` under gevent's pywsgi with
   TCP_NODELAY, as eventhub is served; this same file in `--baseline-server` mode): `join` enters the room, `fire`
   broadcasts a given payload to it.

`--processes N` (N > 1, the scale-out layout): N eventhub processes sharing Redis (SOCKETIO_MESSAGE_QUEUE
`--redis-url`) against N bare processes sharing python-socketio's own `RedisManager`; each layout on a Redis
channel of its own (never the app's default `eventhub`, which the tests use). Clients are spread over the N
processes (client i on process i mod N); the moderator's action enters on process 1 and reaches the others
through Redis.

Each layout gets its own `--clients` real Socket.IO clients (python-socketio's AsyncClient, WebSocket transport,
spread over `--client-procs` processes running asyncio; connects paced at `--connect-rate` per second, at most
`--connect-concurrency` in flight; a client that cannot connect is counted, not waited for), all joined to the one
session (`join`, docs/qa-protocol.md). Both swarms stay connected while the moderator actions alternate between the
two layouts (approve, then pin, each question; one broadcast in flight at a time; the order flipped every round), so
both see the same background load:

- delay: the action is sent at time.time() t0 (eventhub: `moderate` from a signed-in moderator; bare: `fire`
  with the same `qa` payload); every client stamps time.time() when the broadcast with that question in that
  state arrives (same machine, same clock); p50/p99/max over all clients and actions, per repeat with the ratios
  and their spread, and per server process in the scale-out layout. The ratio compares the app's whole path
  (auth, SQL, commit, replay log, emit) with a plain emit.
- lost deliveries: (joined client, action) pairs whose broadcast never arrived; clients dropped after joining.
- memory: each server process's VmRSS before its clients connect and after they all joined; their sum over N.
- CPU per delivered message: user + system CPU of the layout's server processes (/proc) during its own actions,
  over the `qa` messages its clients received; also net of the layout's idle rate (pings, sweeps; measured for
  5 s before the actions) and the clients' own CPU per message (on this machine they share the cores).
- vote storm (eventhub only): `--voters` clients toggle votes at `--vote-rate` votes/s for `--storm-seconds`;
  the `votes` broadcasts each client receives per second (the contract: coalesced, a few per second).

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
import signal  # noqa: E402
import subprocess  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from datetime import datetime  # noqa: E402
from pathlib import Path  # noqa: E402

from bench._baseline import APP_CHANNEL, serve_baseline  # noqa: E402
from bench._fanout_report import goals, repeats_of, summary  # noqa: E402
from bench._qa_target import MODERATOR_PASSWORD, Target  # noqa: E402
from bench._server import (  # noqa: E402
    ROOT,
    Profiler,
    Server,
    SetupError,
    clean_env,
    drop_postgres_database,
    free_port,
    fresh_postgres_database,
    new_run_dir,
    print_profile,
    profile_summary,
    run_database_name,
    scan_server_log,
    server_env,
    tail,
)
from bench._swarm import raise_open_files  # noqa: E402

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
    p.add_argument("--clients", type=int, default=2000, help="clients per layout (both layouts stay connected)")
    p.add_argument("--client-procs", type=int, default=max(2, os.cpu_count() or 2),
                   help="load-generator processes per layout (asyncio, clients split evenly)")
    p.add_argument("--database-url", default=None,
                   help="postgresql://... (a database of the run's own is created there, then dropped); "
                        "default: SQLite in the run dir")
    p.add_argument("--processes", type=int, default=1,
                   help="server processes per layout; more than 1: the scale-out layout, sharing Redis")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0",
                   help="the message queue of the scale-out layout (each layout on a channel of its own)")
    p.add_argument("--connect-rate", type=float, default=300.0,
                   help="client connects started per second, per layout (0: all at once)")
    p.add_argument("--connect-concurrency", type=int, default=64, help="connect attempts in flight, per layout")
    p.add_argument("--actions", type=int, default=40,
                   help="moderator actions per layout and repeat (approve + pin of --actions/2 questions)")
    p.add_argument("--repeats", type=int, default=3, help="repeats of --actions rounds (the spread is printed)")
    p.add_argument("--voters", type=int, default=200)
    p.add_argument("--vote-rate", type=float, default=400.0, help="votes per second, all voters together")
    p.add_argument("--storm-seconds", type=float, default=8.0)
    p.add_argument("--skip-baseline", action="store_true")
    p.add_argument("--only-baseline", action="store_true", help="measure the bare server only (no app needed)")
    p.add_argument("--py-spy", default=None, help="path of a py-spy binary: profile process 1 of each layout "
                                                  "during the actions")
    p.add_argument("--max-seconds", type=float, default=None,
                   help="the whole run is abandoned after this (default: 900 + 0.25 s per client)")
    p.add_argument("--run-dir", type=Path, default=None)
    # internal modes
    p.add_argument("--baseline-server", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--baseline-channel", default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--seed-questions", type=int, default=3, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.clients < 1 or args.client_procs < 1 or args.actions < 2 or args.processes < 1 or args.repeats < 1:
        p.error("--clients, --client-procs, --processes and --repeats must be >= 1, --actions >= 2")
    if args.max_seconds is None:
        args.max_seconds = 900.0 + 0.25 * args.clients
    return args


def check_redis(url: str) -> None:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        raise SetupError(f"Redis at {url} does not answer: {exc}") from exc


def seed_eventhub(env: dict[str, str], args: argparse.Namespace, n_questions: int, run_dir: Path, log) -> dict:  # noqa: ANN001
    t = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "bench.qa_fanout", "--seed", str(args.clients), "--seed-questions", str(n_questions)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    (run_dir / "seed.log").write_text(done.stdout[-20000:] + done.stderr)
    if done.returncode != 0:
        raise SetupError(f"seeding failed (status {done.returncode}):\n{done.stderr[-3000:]}")
    fixture = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"seeded             session {fixture['session_id']}, {len(fixture['auths'])} participant keys, "
        f"{len(fixture['question_ids'])} pending questions in {time.monotonic() - t:.1f} s")
    return fixture


def start_layout(name: str, envs: list[dict[str, str]], argv: list[list[str]] | None, run_dir: Path,
                 servers: list[Server]) -> list[Server]:
    """Start one layout's processes (each in its own process group, added to `servers` at once so the caller
    stops them whatever happens) and wait until each answers."""
    mine = []
    for k, env in enumerate(envs):
        server = Server(env, run_dir, "gevent", argv=argv[k] if argv else None,
                        name=name if len(envs) == 1 else f"{name}{k + 1}")
        servers.append(server)
        mine.append(server)
        server.start()
    for server in mine:
        server.wait_healthy(timeout=180)  # a loaded shared machine starts slowly
    return mine


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0912, PLR0915
    args = parse_args(argv)
    if args.baseline_server is not None:
        serve_baseline(args.baseline_server, args.redis_url, args.baseline_channel)
        return 0
    if args.seed is not None:
        seed(args.seed, args.seed_questions)
        return 0

    # Both layouts' clients are this process's grandchildren; they and the servers inherit the limit.
    want = 2 * args.clients + 1024
    if raise_open_files(want) < min(want, args.clients + 256):
        print(f"the open-files limit is too low for {args.clients} clients", file=sys.stderr)
        return 2
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        print("bench.qa_fanout needs aiohttp (python-socketio's asyncio client): pip install aiohttp", file=sys.stderr)
        return 2

    db_url = args.database_url
    backend = "postgresql" if db_url and db_url.startswith(("postgres://", "postgresql")) else "sqlite"
    layout = f"{args.processes}proc" if args.processes > 1 else "1proc"
    run_dir = new_run_dir(args.run_dir, f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-qa-fanout-{layout}-{backend}")
    instance_dir = run_dir / "instance"
    instance_dir.mkdir(exist_ok=True)
    lines: list[str] = []

    def log(line: str) -> None:
        lines.append(line)
        print(line, flush=True)

    # Bound the whole run: the watchdog's SIGTERM becomes SystemExit, so the finally blocks stop the clients and
    # the servers (each in its own process group).
    def give_up(signum, frame) -> None:  # noqa: ANN001
        raise SystemExit(f"bench.qa_fanout: stopped by signal {signum} (the watchdog sends it after --max-seconds "
                         f"{args.max_seconds:.0f})")

    signal.signal(signal.SIGTERM, give_up)
    watchdog = threading.Timer(args.max_seconds, lambda: os.kill(os.getpid(), signal.SIGTERM))
    watchdog.daemon = True
    watchdog.start()

    loads = [os.getloadavg()[0]]
    log(f"machine            {os.cpu_count()} CPUs, Python {platform.python_version()}, {platform.system()}, "
        f"1-min load average {loads[0]:.2f}")
    log(f"clients            {args.clients} per layout (python-socketio AsyncClient, websocket, {args.client_procs} "
        f"processes per layout, {args.connect_rate:g} connects/s, {args.connect_concurrency} in flight)")
    log(f"layout             {args.processes} server process(es) per layout"
        + (f", Redis {args.redis_url}" if args.processes > 1 else ", no message queue"))
    log(f"run dir            {run_dir}")
    t_start = time.monotonic()
    per_repeat = max(1, args.actions // 2)  # questions per repeat: each approved, then pinned
    n_questions = per_repeat * args.repeats
    results: dict[str, dict] = {}
    servers: list[Server] = []
    targets: list[Target] = []
    profiles: dict[str, Path] = {}
    own_db: str | None = None
    try:
        if args.processes > 1:
            check_redis(args.redis_url)
        if not args.only_baseline:
            if backend == "postgresql":
                db_url = own_db = fresh_postgres_database(db_url, run_database_name(DB_NAME))
            elif not db_url:
                db_url = f"sqlite:///{run_dir / 'bench.sqlite3'}"
            env = server_env(db_url, instance_dir, "gevent")
            fixture = seed_eventhub(env, args, n_questions, run_dir, log)
            envs = [dict(env, PORT=str(free_port())) for _ in range(args.processes)]
            if args.processes > 1:
                channel = f"bench-fanout-eventhub-{uuid.uuid4().hex[:12]}"
                envs = [dict(e, SOCKETIO_MESSAGE_QUEUE=args.redis_url, SOCKETIO_CHANNEL=channel) for e in envs]
            started = start_layout("eventhub", envs, None, run_dir, servers)
            log(f"eventhub           python -m eventhub x{len(started)}, gevent, {backend}, "
                + ", ".join(f"pid {s.proc.pid} {s.base_url}" for s in started)
                + (f"; channel {channel}" if args.processes > 1 else ""))
            targets.append(Target("eventhub", started, baseline=False, fixture=fixture, args=args, log=log))
        if not args.skip_baseline:
            channel = f"bench-fanout-bare-{uuid.uuid4().hex[:12]}" if args.processes > 1 else None
            envs = [clean_env(PORT=str(free_port())) for _ in range(args.processes)]
            argvs = [[sys.executable, "-m", "bench.qa_fanout", "--baseline-server", e["PORT"]]
                     + (["--redis-url", args.redis_url, "--baseline-channel", channel] if channel else [])
                     for e in envs]
            started = start_layout("baseline", envs, argvs, run_dir, servers)
            log(f"baseline           bare python-socketio x{len(started)}, gevent, "
                + ", ".join(f"pid {s.proc.pid} {s.base_url}" for s in started)
                + (f"; RedisManager, channel {channel}" if channel else ""))
            fixture = {"session_id": 1, "auths": [{} for _ in range(args.clients)],
                       "question_ids": list(range(1, n_questions + 1))}
            targets.insert(0, Target("baseline", started, baseline=True, fixture=fixture, args=args, log=log))
        if any(s.env.get("SOCKETIO_CHANNEL") == APP_CHANNEL for s in servers):  # the tests' channel: never ours
            raise SetupError(f"a server under test was given the app's channel {APP_CHANNEL!r}")

        # Both swarms stay connected; the actions alternate between the layouts (order flipped every round) so
        # both see the same background load on this shared machine. Only one broadcast is in flight at a time.
        for target in targets:
            target.connect()
        for target in targets:
            target.measure_idle()
        if args.py_spy:
            for target in targets:
                profiles[target.name] = run_dir / f"profile-{target.name}.txt"
                target.profiler = Profiler(args.py_spy, target.server.proc.pid, profiles[target.name])
        for k in range(n_questions):
            for action in ("approve", "pin"):
                for target in (targets if k % 2 == 0 else targets[::-1]):
                    target.act(target.fixture["question_ids"][k], action)
                    time.sleep(0.3)
                if k % per_repeat == per_repeat - 1 and action == "pin":
                    loads.append(os.getloadavg()[0])
                    log(f"  repeat {k // per_repeat + 1}/{args.repeats} done (1-min load {loads[-1]:.2f})")
        for target in targets:
            if target.profiler:
                target.profiler.stop()
                target.profiler = None
        for target in targets:
            if not target.baseline and args.voters and args.vote_rate > 0:
                target.vote_storm(target.fixture["question_ids"])
        for target in targets:
            results[target.name] = target.finish()
        for server in servers:
            server.stop()
        if "eventhub" in results:
            scans = [scan_server_log(s.stderr_path) for s in servers if s.stdout_path.name.startswith("eventhub")]
            results["eventhub"]["server_errors"] = sum(x["error_records"] for x in scans)
            results["eventhub"]["server_tracebacks"] = sum(x["tracebacks"] for x in scans)
            first = next((x["first_traceback"] for x in scans if x["first_traceback"]), "")
            if first:
                log("first traceback in an eventhub server's stderr:")
                log("\n".join("  | " + x for x in first.splitlines()))
    except (SetupError, OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
        print(f"bench setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        for s in servers:
            print(f"{s.stderr_path}:\n{tail(s.stderr_path)}", file=sys.stderr)
        return 2
    finally:
        for target in targets:
            if target.profiler:
                target.profiler.stop()
            target.close()
        for s in servers:
            s.stop()
        if own_db:
            drop_postgres_database(own_db)
        watchdog.cancel()

    by_name = {t.name: t for t in targets}
    repeats = repeats_of(by_name, args, per_repeat, log)
    ours, base = results.get("eventhub", {}), results.get("baseline", {})
    judged = goals(args, ours, base, repeats, log) if ours and base else {}
    for name, path in profiles.items():
        print_profile(f"{name} process 1 during the actions", profile_summary(path))
    loads.append(os.getloadavg()[0])
    log(f"load               1-min load {loads[0]:.2f} at the start, {max(loads):.2f} at most, {loads[-1]:.2f} at "
        f"the end")
    log(f"total run time     {time.monotonic() - t_start:.1f} s")
    out = summary(args, results, repeats, judged, {
        "backend": backend, "load_start": round(loads[0], 2), "load_max": round(max(loads), 2),
        "load_end": round(loads[-1], 2), "run_dir": str(run_dir)})
    print(json.dumps(out))
    (run_dir / "summary.txt").write_text("\n".join([*lines, json.dumps(out)]) + "\n")
    failed = any(r.get("connected", 0) < args.clients or r.get("missing_deliveries") for r in results.values())
    if not failed:  # keep the logs; the database file only when something went wrong
        for suffix in ("", "-wal", "-shm", "-journal"):
            (run_dir / f"bench.sqlite3{suffix}").unlink(missing_ok=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
