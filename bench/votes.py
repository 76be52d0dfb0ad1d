"""Q&A vote storms on one process: ack latency, count-update gaps and `votes` broadcasts per second, and the ceiling.

    python -m bench.votes [--voters 200] [--rate 400] [--seconds 10] [--questions 5] [--database-url URL]
                          [--ceiling] [--max-rate 2000] [--step 200] [--profile]

Starts `python -m eventhub` (gevent, one process; SQLite in the run directory unless `--database-url
postgresql://…`), seeded like bench.qa_fanout (one Q&A session, one anonymous participant key per voter,
`--questions` questions, approved by a signed-in moderator through `moderate`). `--voters` real Socket.IO clients
(python-socketio AsyncClient, websocket, 2 processes) join the session and toggle their votes (up, then back
down, on each question in turn) at `--rate` votes/s, all voters together, for `--seconds`. The per-participant
vote limit is raised for the run (QA_VOTE_LIMIT): 200 voters at 400 votes/s vote 120 times a minute each.

Figures per storm:
- absorbed: acked votes / the time from the first vote to the last ack;
- ack p50/p99/max: from sending a vote to its ack (each voter sends without waiting for its previous ack);
- longest wait for a count update: per client, the longest time without a `votes` broadcast while the storm ran
  (from its start to its end), the worst client;
- `votes` broadcasts per second per session: the most any client received in one 1-second window;
- server CPU per vote (utime + stime of the server process over the storm / acked votes).

`--ceiling` then raises the rate by `--step` from `--rate` until the ack p99 passes 1 s (or `--max-rate`): the
ceiling is the highest rate whose ack p99 stayed within 1 s. `--profile` samples the server with py-spy (`pip
install py-spy`; cProfile sees one greenlet at a time under gevent) during the first storm and writes
`profile.txt`: the functions with the most samples, self and inclusive. Readable lines, and last one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from itertools import pairwise
from pathlib import Path

from bench._qa_target import Actor
from bench._server import (
    ROOT,
    Server,
    SetupError,
    fresh_postgres_database,
    percentile,
    proc_cpu,
    rss_kb,
    scan_server_log,
    server_env,
    tail,
)
from bench._swarm import Swarm
from bench.qa_fanout import DB_NAME

GOALS = {"ack_p99_ms": 500, "max_gap_s": 1.0, "broadcasts_per_s": 5}


def storm(swarm: Swarm, server: Server, question_ids: list[int], rate: float, seconds: float,
          profile: Path | None = None) -> dict:
    """One storm at `rate` votes/s; its figures. `profile`: py-spy samples the server into this file meanwhile."""
    spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(server.proc.pid),
                            "-d", str(int(seconds)), "-r", "200", "-f", "raw", "-o", str(profile)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if profile else None
    cpu0 = proc_cpu(server.proc.pid)
    t0 = time.time()
    stats = swarm.ask(("storm", question_ids, rate / len(swarm.workers), seconds), timeout=seconds + 90)
    t1 = time.time()
    cpu1 = proc_cpu(server.proc.pid)
    time.sleep(1.0)  # the last coalesced broadcast
    if spy is not None:
        spy.wait(timeout=60)
    arrivals = [log for rep in swarm.ask(("votes_since", t0)) for log in rep]
    acked = sum(s["acked"] for s in stats)
    lat = sorted(x for s in stats for x in s["lat"])
    storm_end = t0 + seconds
    gaps, per_s = [], []
    for log in arrivals:
        ts = [t0, *(t for t in log if t0 <= t <= storm_end), storm_end]
        gaps.append(max(b - a for a, b in pairwise(ts)))
        windows: dict[int, int] = {}
        for t in log:
            windows[int(t - t0)] = windows.get(int(t - t0), 0) + 1
        per_s.append(max(windows.values(), default=0))
    window = t1 - t0
    out = {
        "rate": rate, "sent": sum(s["sent"] for s in stats), "acked": acked,
        "refused": sum(s["refused"] for s in stats), "refusals": [x for s in stats for x in s["refusals"]][:3],
        "absorbed_per_s": round(acked / window, 1) if window else None, "window_s": round(window, 1),
        "ack_p50_ms": round(percentile(lat, 50), 1), "ack_p99_ms": round(percentile(lat, 99), 1),
        "ack_max_ms": round(lat[-1], 1) if lat else None,
        "max_gap_s": round(max(gaps), 2) if gaps else None,
        "median_gap_s": round(percentile(sorted(gaps), 50), 2) if gaps else None,
        "broadcasts_per_s_max": max(per_s, default=0),
        "cpu_ms_per_vote": round((cpu1[0] - cpu0[0]) * 1000 / acked, 2) if cpu0 and cpu1 and acked else None,
        "load": round(os.getloadavg()[0], 2),
    }
    out["meets_goals"] = bool(out["refused"] == 0 and out["ack_p99_ms"] <= GOALS["ack_p99_ms"]
                              and (out["max_gap_s"] or 99) <= GOALS["max_gap_s"]
                              and out["broadcasts_per_s_max"] <= GOALS["broadcasts_per_s"])
    return out


def top_of_profile(raw: Path, rows: int = 45) -> str:
    """py-spy's collapsed stacks ("frame;frame;frame count") as two tables: self and inclusive samples."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for text in raw.read_text().splitlines():
        stack, _, count = text.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        samples += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            total[frame] += int(count)
    out = [f"{samples} samples"]
    for title, table in (("self", own), ("inclusive", total)):
        out.append(f"--- {title}")
        out += [f"{n * 100 / samples:5.1f}%  {frame}" for frame, n in table.most_common(rows)]
    return "\n".join(out) + "\n"


def line(s: dict) -> str:
    return (f"  {s['rate']:6.0f}/s sent {s['sent']:5}  absorbed {s['absorbed_per_s']:6}/s  ack p50 "
            f"{s['ack_p50_ms']:7} ms p99 {s['ack_p99_ms']:7} ms max {s['ack_max_ms']} ms  longest wait for a "
            f"count {s['max_gap_s']} s (median client {s['median_gap_s']} s)  `votes` ≤ {s['broadcasts_per_s_max']}"
            f"/s  CPU {s['cpu_ms_per_vote']} ms/vote  refused {s['refused']}  load {s['load']}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.votes", description=__doc__.split("\n\n")[0])
    p.add_argument("--voters", type=int, default=200)
    p.add_argument("--rate", type=float, default=400.0, help="votes per second, all voters together")
    p.add_argument("--seconds", type=float, default=10.0, help="length of each storm")
    p.add_argument("--questions", type=int, default=5)
    p.add_argument("--repeats", type=int, default=1, help="storms at --rate (the spread is printed)")
    p.add_argument("--database-url", default=None)
    p.add_argument("--ceiling", action="store_true", help="then raise the rate until the ack p99 passes 1 s")
    p.add_argument("--step", type=float, default=200.0)
    p.add_argument("--max-rate", type=float, default=2000.0)
    p.add_argument("--profile", action="store_true", help="run the server under cProfile (slower)")
    p.add_argument("--client-procs", type=int, default=2)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:  # noqa: C901, PLR0915
    args = parse_args(argv)
    backend = "postgresql" if args.database_url and args.database_url.startswith("postgres") else "sqlite"
    run_dir = ROOT / "bench" / "results" / f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-votes-{backend}"
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "instance").mkdir(exist_ok=True)
    db_url = fresh_postgres_database(args.database_url, DB_NAME) if backend == "postgresql" else \
        f"sqlite:///{run_dir / 'bench.sqlite3'}"
    env = server_env(db_url, run_dir / "instance", "gevent")
    env["QA_VOTE_LIMIT"] = "1000000/minute"

    def log(msg: str) -> None:
        print(msg, flush=True)

    log(f"machine            {os.cpu_count()} CPUs, 1-min load average {os.getloadavg()[0]:.2f} (shared machine)")
    done = subprocess.run([sys.executable, "-m", "bench.qa_fanout", "--seed", str(args.voters), "--seed-questions",
                           str(args.questions)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    (run_dir / "seed.log").write_text(done.stdout[-200000:] + done.stderr)
    if done.returncode != 0:
        print(f"seeding failed:\n{done.stderr[-3000:]}", file=sys.stderr)
        return 2
    fixture = json.loads(done.stdout.strip().splitlines()[-1])
    server = Server(env, run_dir, "gevent", name="eventhub")
    swarm = actor = None
    storms: list[dict] = []
    ceiling = None
    try:
        server.start()
        server.wait_healthy(timeout=180)  # a loaded shared machine starts slowly
        log(f"eventhub           pid {server.proc.pid}, {backend}, {args.voters} voters, {args.questions} questions")
        actor = Actor(server.base_url, baseline=False, session_id=fixture["session_id"],
                      moderator_email=fixture["moderator_email"])
        for qid in fixture["question_ids"]:
            actor.act(qid, "approve")
        swarm = Swarm(server.base_url, fixture["auths"], fixture["session_id"], args.client_procs, args.voters)
        connected = sum(r["connected"] for r in swarm.ask(("connect",), timeout=120))
        if connected < args.voters:
            raise SetupError(f"only {connected}/{args.voters} voters connected")
        log(f"connected          {connected} voters; server VmRSS {rss_kb(server.proc.pid)} kB")
        log(f"storms             {args.seconds:.0f} s each (goals: ack p99 <= 500 ms, no wait > 1 s for a count, "
            "<= 5 `votes`/s per session)")
        for k in range(args.repeats):
            storms.append(storm(swarm, server, fixture["question_ids"], args.rate, args.seconds,
                                profile=run_dir / "pyspy.raw" if args.profile and k == 0 else None))
            log(line(storms[-1]))
            for r in storms[-1]["refusals"]:
                log(f"    refusal {r}")
        if args.ceiling:
            rate = args.rate
            last_ok = args.rate if storms and storms[-1]["ack_p99_ms"] <= 1000 else None
            while rate + args.step <= args.max_rate and (last_ok is not None):
                rate += args.step
                s = storm(swarm, server, fixture["question_ids"], rate, args.seconds)
                storms.append(s)
                log(line(s))
                if s["ack_p99_ms"] > 1000 or s["refused"]:
                    break
                last_ok = rate
            ceiling = last_ok
            log(f"ceiling            {ceiling} votes/s offered with ack p99 <= 1 s (next step passed it or "
                f"--max-rate {args.max_rate:.0f} reached)")
    except (SetupError, OSError, subprocess.TimeoutExpired) as exc:
        print(f"bench setup failed: {exc}\n{tail(server.stderr_path)}", file=sys.stderr)
        return 2
    finally:
        if actor:
            actor.close()
        if swarm:
            swarm.close()
        server.stop()
    scan = scan_server_log(server.stderr_path)
    if args.profile and (run_dir / "pyspy.raw").exists():
        (run_dir / "profile.txt").write_text(top_of_profile(run_dir / "pyspy.raw"))
        log(f"profile            {run_dir / 'profile.txt'}")
    at_rate = [s for s in storms if s["rate"] == args.rate]
    if len(at_rate) > 1:
        p99s = [s["ack_p99_ms"] for s in at_rate]
        log(f"spread at {args.rate:.0f}/s  ack p99 {min(p99s)}–{max(p99s)} ms over {len(at_rate)} storms")
    log(f"server errors      {scan['error_records']} error records, {scan['tracebacks']} tracebacks")
    summary = {"backend": backend, "voters": args.voters, "questions": args.questions, "storms": storms,
               "ceiling_votes_per_s": ceiling, "server_errors": scan["error_records"], "run_dir": str(run_dir)}
    (run_dir / "summary.json").write_text(json.dumps(summary, indent=1))
    print(json.dumps(summary))
    return 1 if scan["error_records"] or any(s["refused"] for s in storms) else 0


if __name__ == "__main__":
    sys.exit(main())
