"""The client swarm of the Q&A benches (bench.qa_fanout, bench.votes, bench.soak): load-generator processes, each
running many python-socketio AsyncClients (WebSocket) on one asyncio loop, joined to one Q&A session and driven
by commands from the bench's process (connect, count what arrived, vote storm, report, stop).

Several server processes (the scale-out layout): client i connects to server i mod N. Connects are paced
(`connect_rate` per second for the whole swarm, at most `connect_concurrency` in flight) so a ramp of thousands
does not overrun the servers' accept queues or database pools; every attempt is bounded and a client that could not
connect is counted (with its reason), never waited for."""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import time

from bench._server import SetupError

NS = "/qa"
# python-engineio's client gives up when it has had nothing to send for max(ping interval, ping timeout) + 5 s
# (its write loop's queue timeout): its only traffic is the pong, so a server ping more than 5 s late on a starved
# machine dropped it (226 of 16,000 clients in a scale-out run at load 7.5, all "packet queue is empty, aborting";
# the servers' own ping timeout never fired). Browsers' engine.io client allows ping interval + ping timeout. The
# load generator relaxes its own check to this; the servers' check, which is the one that matters, is unchanged.
CLIENT_PING_TIMEOUT = 60.0
CONNECT_CONCURRENCY = 64  # simultaneous connection attempts per client process (when the swarm is not told)
ATTEMPT_TIMEOUT = 45.0  # one connect + join
WORKER_REPLY_TIMEOUT = 60.0


def raise_open_files(want: int) -> int:
    """Raise this process's open-files limit to `want` (the hard limit too when allowed, e.g. as root; else as far
    as the hard limit goes); returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
        except (ValueError, OSError):
            pass
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def client_worker(index: int, conn, urls: list[str], auths: list[dict], session_id: int, voters: int,  # noqa: ANN001, PLR0913
                  pace: tuple[float, int]) -> None:
    """One load-generator process: len(auths) AsyncClients on one asyncio loop, client i connecting to urls[i],
    driven by commands on `conn`. `pace`: (connects started per second, at most that many in flight)."""
    import asyncio

    raise_open_files(len(auths) + 1024)
    asyncio.run(_worker_main(index, conn, urls, auths, session_id, voters, pace))


async def _worker_main(index: int, conn, urls: list[str], auths: list[dict], session_id: int, voters: int,  # noqa: ANN001, C901, PLR0913, PLR0915
                       pace: tuple[float, int]) -> None:
    import asyncio

    import socketio

    loop = asyncio.get_running_loop()
    n = len(auths)
    qa_log: list[list[tuple[float, int, str, bool]]] = [[] for _ in range(n)]
    votes_log: list[list[float]] = [[] for _ in range(n)]
    clients: list[socketio.AsyncClient | None] = [None] * n
    errors: list[str] = []
    failures: dict[str, int] = {}  # reason of a client's last failed attempt -> clients
    dropped: dict[int, str] = {}  # clients disconnected after they had joined: why (python-socketio's reason)
    stopping = asyncio.Event()  # set by "stop": the disconnects that follow are ours
    done = asyncio.Event()
    running: set[asyncio.Future] = set()  # command handlers in progress (referenced so they are not collected)

    def make_client(i: int) -> socketio.AsyncClient:
        c = socketio.AsyncClient(reconnection=False, request_timeout=30)

        @c.on("disconnect", namespace=NS)
        def on_disconnect(*args):  # noqa: ANN002, ANN202
            if clients[i] is c and not stopping.is_set():
                dropped.setdefault(i, str(args[0]) if args else "?")

        @c.on("qa", namespace=NS)
        def on_qa(data):  # noqa: ANN001, ANN202
            q = data.get("question") if isinstance(data, dict) else None
            if q:
                qa_log[i].append((time.time(), q.get("id"), q.get("status"), bool(q.get("pinned"))))

        @c.on("votes", namespace=NS)
        def on_votes(data):  # noqa: ANN001, ANN202
            votes_log[i].append(time.time())

        return c

    async def attempt(i: int, c: socketio.AsyncClient) -> None:
        await c.connect(urls[i], transports=["websocket"], namespaces=[NS], auth=auths[i], wait_timeout=30)
        # Before the join: its packet wakes the write loop, whose next wait then uses the relaxed timeout.
        c.eio.ping_timeout = max(c.eio.ping_timeout, CLIENT_PING_TIMEOUT)
        ack = await c.call("join", {"session_id": session_id, "since": None}, namespace=NS, timeout=30)
        if not (isinstance(ack, dict) and ack.get("ok")):
            code = ack.get("error", {}).get("code") if isinstance(ack, dict) else None
            raise RuntimeError(f"join refused ({code}): {json.dumps(ack)[:200]}")

    async def connect_one(i: int, sem: asyncio.Semaphore, start: float, rate: float) -> bool:
        if rate > 0:  # staggered: client i starts no earlier than i / rate seconds after the first
            await asyncio.sleep(max(0.0, start + i / rate - loop.time()))
        async with sem:
            reason = ""
            for k in range(3):
                c = make_client(i)
                try:
                    await asyncio.wait_for(attempt(i, c), ATTEMPT_TIMEOUT)
                    clients[i] = c
                    return True
                except Exception as exc:  # noqa: BLE001 (asyncio.TimeoutError included)
                    reason = type(exc).__name__ + (f" {str(exc)[:40]}" if "refused" in str(exc) else "")
                    if len(errors) < 20:
                        errors.append(f"client {i} attempt {k}: {type(exc).__name__}: {exc}"[:300])
                    try:
                        await asyncio.wait_for(c.disconnect(), 5)
                    except Exception:  # noqa: BLE001, S110
                        pass
                    await asyncio.sleep(0.5 * (k + 1))
            failures[reason] = failures.get(reason, 0) + 1
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
        if what == "connect":  # ("connect", budget in seconds): whoever has not joined by then is a failure
            rate, concurrency = pace
            sem, start = asyncio.Semaphore(max(1, concurrency)), loop.time()
            tasks = [asyncio.ensure_future(connect_one(i, sem, start, rate)) for i in range(n)]
            await asyncio.wait(tasks, timeout=cmd[1] if len(cmd) > 1 else None)
            late = sum(1 for t in tasks if not t.done())
            for t in tasks:
                t.cancel()
            if late:
                failures["not joined within the connect budget"] = late
            by_url: dict[str, int] = {}
            for i, c in enumerate(clients):
                if c is not None:
                    by_url[urls[i]] = by_url.get(urls[i], 0) + 1
            return {"connected": sum(by_url.values()), "by_url": by_url, "errors": errors[:5], "failures": failures,
                    "seconds": round(loop.time() - start, 1)}
        if what == "total":  # [clients still connected that have received at least `n` `qa` messages, connected]
            alive = [i for i, c in enumerate(clients) if c is not None and i not in dropped]
            return [sum(1 for i in alive if len(qa_log[i]) >= cmd[1]), len(alive)]
        if what == "storm":
            return await storm(*cmd[1:])
        if what == "report":  # `connected[i]`: client i joined; `dropped`: {client: reason} disconnected since
            return {"qa": qa_log, "votes": votes_log, "connected": [c is not None for c in clients],
                    "dropped": dropped}
        if what == "votes_since":  # the `votes` arrival times after time.time() cmd[1], per client
            return [[t for t in log if t >= cmd[1]] for log in votes_log]
        if what == "stop":
            stopping.set()
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
    """The client processes, and the commands the driver sends them (every reply awaited with a timeout).

    `url`: one server, or a list (client i connects to url[i % len]); `connect_rate`: connects started per second
    by the whole swarm (0: no pacing); `connect_concurrency`: attempts in flight for the whole swarm (default
    CONNECT_CONCURRENCY per process). `server_of[i]`: the index of client i's server."""

    def __init__(self, url: str | list[str], auths: list[dict], session_id: int, procs: int, voters: int, *,  # noqa: PLR0913
                 connect_rate: float = 0.0, connect_concurrency: int | None = None) -> None:
        ctx = mp.get_context("spawn")
        urls = [url] if isinstance(url, str) else list(url)
        procs = max(1, min(procs, len(auths)))
        self.server_of = [i % len(urls) for i in range(len(auths))]
        concurrency = connect_concurrency or CONNECT_CONCURRENCY * procs
        pace = (connect_rate / procs, max(1, -(-concurrency // procs)))
        self.workers = []
        for w in range(procs):
            mine = auths[w::procs]
            theirs = [urls[i % len(urls)] for i in range(w, len(auths), procs)]
            parent, child = ctx.Pipe()
            voters_here = len(range(w, voters, procs))
            p = ctx.Process(target=client_worker, args=(w, child, theirs, mine, session_id, voters_here, pace),
                            daemon=True)
            p.start()
            child.close()
            self.workers.append((p, parent))

    def global_index(self, worker: int, local: int) -> int:
        """The swarm-wide index of a worker's `local`-th client (workers take auths[w::procs])."""
        return worker + local * len(self.workers)

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
