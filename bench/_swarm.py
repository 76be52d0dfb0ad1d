"""The client swarm of the Q&A benches (bench.qa_fanout, bench.votes, bench.soak): load-generator processes, each
running many python-socketio AsyncClients (WebSocket) on one asyncio loop, joined to one Q&A session and driven
by commands from the bench's process (connect, count what arrived, vote storm, report, stop)."""

from __future__ import annotations

import json
import multiprocessing as mp
import resource
import time

from bench._server import SetupError

NS = "/qa"
CONNECT_CONCURRENCY = 64  # simultaneous connection attempts per client process
WORKER_REPLY_TIMEOUT = 60.0


def client_worker(index: int, conn, url: str, auths: list[dict], session_id: int, voters: int) -> None:  # noqa: ANN001
    """One load-generator process: len(auths) AsyncClients on one asyncio loop, driven by commands on `conn`."""
    import asyncio

    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (resource.getrlimit(resource.RLIMIT_NOFILE)[1],) * 2)
    except (ValueError, OSError):
        pass
    asyncio.run(_worker_main(index, conn, url, auths, session_id, voters))


async def _worker_main(index: int, conn, url: str, auths: list[dict], session_id: int, voters: int) -> None:  # noqa: ANN001, C901, PLR0915
    import asyncio

    import socketio

    loop = asyncio.get_running_loop()
    n = len(auths)
    qa_log: list[list[tuple[float, int, str, bool]]] = [[] for _ in range(n)]
    votes_log: list[list[float]] = [[] for _ in range(n)]
    clients: list[socketio.AsyncClient | None] = [None] * n
    errors: list[str] = []
    done = asyncio.Event()
    running: set[asyncio.Future] = set()  # command handlers in progress (referenced so they are not collected)

    def make_client(i: int) -> socketio.AsyncClient:
        c = socketio.AsyncClient(reconnection=False, request_timeout=30)

        @c.on("qa", namespace=NS)
        def on_qa(data):  # noqa: ANN001, ANN202
            q = data.get("question") if isinstance(data, dict) else None
            if q:
                qa_log[i].append((time.time(), q.get("id"), q.get("status"), bool(q.get("pinned"))))

        @c.on("votes", namespace=NS)
        def on_votes(data):  # noqa: ANN001, ANN202
            votes_log[i].append(time.time())

        return c

    async def connect_one(i: int, sem: asyncio.Semaphore) -> bool:
        async with sem:
            for attempt in range(3):
                c = make_client(i)
                try:
                    await c.connect(url, transports=["websocket"], namespaces=[NS], auth=auths[i], wait_timeout=30)
                    ack = await c.call("join", {"session_id": session_id, "since": None}, namespace=NS, timeout=60)
                    if not (isinstance(ack, dict) and ack.get("ok")):
                        raise RuntimeError(f"join refused: {json.dumps(ack)[:200]}")
                    clients[i] = c
                    return True
                except Exception as exc:  # noqa: BLE001
                    if len(errors) < 20:
                        errors.append(f"client {i} attempt {attempt}: {type(exc).__name__}: {exc}"[:300])
                    try:
                        await c.disconnect()
                    except Exception:  # noqa: BLE001, S110
                        pass
                    await asyncio.sleep(0.5 * (attempt + 1))
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
        if what == "connect":
            sem = asyncio.Semaphore(CONNECT_CONCURRENCY)
            results = await asyncio.gather(*(connect_one(i, sem) for i in range(n)))
            return {"connected": sum(results), "errors": errors[:5]}
        if what == "total":  # how many clients have received at least `n` `qa` messages
            return sum(1 for log in qa_log if len(log) >= cmd[1])
        if what == "storm":
            return await storm(*cmd[1:])
        if what == "report":
            return {"qa": qa_log, "votes": votes_log}
        if what == "votes_since":  # the `votes` arrival times after time.time() cmd[1], per client
            return [[t for t in log if t >= cmd[1]] for log in votes_log]
        if what == "stop":
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
    """The client processes, and the commands the driver sends them (every reply awaited with a timeout)."""

    def __init__(self, url: str, auths: list[dict], session_id: int, procs: int, voters: int) -> None:
        ctx = mp.get_context("spawn")
        procs = max(1, min(procs, len(auths)))
        self.workers = []
        for w in range(procs):
            mine = auths[w::procs]
            parent, child = ctx.Pipe()
            voters_here = len(range(w, voters, procs))
            p = ctx.Process(target=client_worker, args=(w, child, url, mine, session_id, voters_here), daemon=True)
            p.start()
            child.close()
            self.workers.append((p, parent))

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
