"""What the benchmark drivers share: a fresh PostgreSQL database, a server process, log scanning, percentiles,
and the rounds that alternate a baseline checkout and this one (bench.registration, bench.checkin).

Moved here from bench/registration.py (which re-exports these names) so bench/qa_fanout.py can use them too.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
BENCH_DB_NAME = "eventhub_bench"
SERVER_START_TIMEOUT = 90.0  # a shared, loaded machine imports slowly


class SetupError(RuntimeError):
    pass


# --- database -------------------------------------------------------------------------------------------------

def fresh_postgres_database(base_url: str, name: str = BENCH_DB_NAME) -> str:
    """Drop and re-create database `name` on the server of `base_url`; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    if url.drivername in ("postgres", "postgresql"):
        url = url.set(drivername="postgresql+psycopg2")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with admin.connect() as conn:
            conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"
            ), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise SetupError(f"cannot create database {name!r} on {url.render_as_string()}: {exc}") from exc
    finally:
        admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop the database of `url` (a run's own, made by fresh_postgres_database); errors are ignored."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    except Exception as exc:  # noqa: BLE001 — best effort: a left-over database is dropped by the next run
        print(f"could not drop {target.database}: {exc}", file=sys.stderr)
    finally:
        admin.dispose()


def run_database_name(prefix: str = BENCH_DB_NAME) -> str:
    """A database name of this run's own: several engineers run benchmarks on one PostgreSQL server at once, and
    a shared name let one run drop another's database mid-run."""
    return f"{prefix}_{os.getpid()}"


# --- server process -------------------------------------------------------------------------------------------

def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without anything that would point the server under test elsewhere
    (another database, a message queue, a mail server), plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTHUB_", "SOCKETIO_", "MAIL_"))}
    for key in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "PUBLIC_BASE_URL", "DATABASE_URL"):
        env.pop(key, None)
    env.update({"PYTHONUNBUFFERED": "1", "HOST": "127.0.0.1", **overrides})
    return env


def server_env(db_url: str, instance_dir: Path, async_mode: str) -> dict[str, str]:
    """The environment of one `python -m eventhub` under test, on a free port."""
    return clean_env(
        DATABASE_URL=db_url, EVENTHUB_INSTANCE_DIR=str(instance_dir), EVENTHUB_CONFIG="development",
        SECRET_KEY="bench-secret-key-not-for-production", SOCKETIO_ASYNC_MODE=async_mode, PORT=str(free_port()),
        # Thousands of bench clients join from 127.0.0.1: the per-address join limit is for real networks.
        QA_JOIN_ADDRESS_LIMIT="1000000/10seconds",
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`python -m eventhub` in its own process group, output captured to files."""

    def __init__(self, env: dict[str, str], run_dir: Path, async_mode: str, kind: str = "eventhub", *,
                 argv: list[str] | None = None, name: str = "server", root: Path = ROOT) -> None:
        """`argv` replaces the command chosen by `kind`; `name` prefixes the log files (several servers, one dir);
        `root`: the checkout whose code runs (another one serves as a baseline in the same run)."""
        self.env, self.run_dir, self.async_mode, self.kind, self.argv = env, run_dir, async_mode, kind, argv
        self.root = root
        self.port = int(env["PORT"])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.stdout_path, self.stderr_path = run_dir / f"{name}.stdout.log", run_dir / f"{name}.stderr.log"
        self.proc: subprocess.Popen | None = None
        self._files: list = []

    def start(self) -> None:
        out, err = open(self.stdout_path, "wb"), open(self.stderr_path, "wb")  # noqa: SIM115
        self._files = [out, err]
        if self.argv is not None:
            argv = list(self.argv)
        elif self.kind == "eventhub":
            argv = [sys.executable, "-m", "eventhub"]
        else:  # plain Werkzeug with real OS threads, no gevent monkey-patching (comparison only)
            argv = [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1",
                    "--port", str(self.port), "--with-threads", "--no-reload", "--no-debugger"]
        self.proc = subprocess.Popen(
            argv, cwd=self.root, env=self.env, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
            start_new_session=True,
        )

    def wait_healthy(self, timeout: float = SERVER_START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        last_error = ""
        while time.monotonic() < deadline:
            if self.proc is None or self.proc.poll() is not None:
                raise SetupError(f"server exited with status {self.proc.returncode if self.proc else '?'}; "
                                 f"see {self.stderr_path}:\n{tail(self.stderr_path)}")
            try:
                r = requests.get(self.base_url + "/healthz", timeout=2)
                if r.status_code == 200:
                    return
                last_error = f"HTTP {r.status_code}"
            except requests.RequestException as exc:
                last_error = type(exc).__name__
            time.sleep(0.1)
        raise SetupError(f"server not healthy after {timeout:.0f}s ({last_error}); see {self.stderr_path}")

    def stop(self) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        for f in self._files:
            f.close()
        return self.proc.returncode


def proc_cpu(pid: int) -> tuple[float, int] | None:
    """CPU seconds (user + system) used so far by process `pid` and its OS thread count (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, int(fields[17])


def rss_kb(pid: int) -> int | None:
    try:
        m = re.search(r"^VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text(), re.M)
    except OSError:
        return None
    return int(m.group(1)) if m else None


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def scan_server_log(path: Path) -> dict:
    """Tracebacks and lock errors the server wrote to stderr, and the first error block (condensed)."""
    text = path.read_text(errors="replace") if path.exists() else ""
    lines = text.splitlines()
    exceptions: dict[str, int] = {}
    for line in lines:
        m = re.match(r"^([A-Za-z_][\w.]*(?:Error|Exception|Timeout)): ", line)
        if m:
            exceptions[m.group(1)] = exceptions.get(m.group(1), 0) + 1
    first: list[str] = []
    starts = [i for i, line in enumerate(lines) if "Traceback (most recent call last)" in line]
    if starts:
        i = starts[0]
        if i > 0 and "ERROR" in lines[i - 1]:
            i -= 1  # the log line naming the failed request
        for k, line in enumerate(lines[i:i + 400]):
            if k > 1 and re.match(r"^(127\.0\.0\.1 - |\[\d{4}-\d\d-\d\d [\d:,]+\] )", line):
                break  # next access-log or log record
            # Keep the exception messages, the SQL, and the app's own frames; library frames are in the file.
            if not line.startswith("  ") or "/eventhub/" in line:
                first.append(line)
            elif line.startswith("  File ") and (not first or first[-1] != "  ..."):
                first.append("  ...")
    # One error record per failed request ("ERROR in app"), each with its (possibly chained) traceback.
    records = re.split(r"\n(?=\[[\d\- :,]+\] ERROR )", text)[1:] if "] ERROR " in text else []
    return {"tracebacks": len(starts), "error_records": len(records),
            "database_is_locked": sum(1 for r in records if "database is locked" in r),
            "exception_lines": exceptions, "first_traceback": "\n".join(first)}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of an ascending list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), -(-int(q * len(sorted_values)) // 100)))
    return sorted_values[rank - 1]


# --- sampling profile (py-spy, when installed) ----------------------------------------------------------------

class Profiler:
    """`py-spy record` attached to a server process for the measured part of a run (raw collapsed stacks).

    py-spy is not a project dependency: pass its path (`pip install --target DIR py-spy` puts it in DIR/bin).
    It samples the running greenlet's stack, so under gevent the profile is where the CPU went."""

    def __init__(self, py_spy: str, pid: int, out: Path, rate: int = 200) -> None:
        self.out = out
        self.proc = subprocess.Popen(
            [py_spy, "record", "--pid", str(pid), "--format", "raw", "--nonblocking", "--rate", str(rate),
             "--output", str(out)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=open(out.with_suffix(".log"), "wb"),  # noqa: SIM115
        )
        time.sleep(0.5)  # attached before the load starts

    def stop(self) -> Path:
        self.proc.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        return self.out


def profile_summary(path: Path, top: int = 12) -> dict:
    """Self and inclusive share of samples per function from a py-spy raw file ("frame;frame;... count" lines,
    root first). Inclusive counts a function once per stack, so recursion is not double-counted."""
    self_n: dict[str, int] = {}
    incl_n: dict[str, int] = {}
    total = 0
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return {"samples": 0, "self": [], "inclusive": []}
    for line in lines:
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [re.sub(r" \(([^)]*?)(?::\d+)?\)$", r" (\1)", f) for f in stack.split(";")]
        total += n
        self_n[frames[-1]] = self_n.get(frames[-1], 0) + n
        for f in set(frames):
            incl_n[f] = incl_n.get(f, 0) + n

    def ranked(counts: dict[str, int], only_ours: bool) -> list[tuple[str, float]]:
        items = [(f, c) for f, c in counts.items() if not only_ours or "eventhub/" in f or "(eventhub" in f]
        return [(f, round(100 * c / total, 1)) for f, c in sorted(items, key=lambda x: -x[1])[:top]]

    return {"samples": total, "self": ranked(self_n, False), "inclusive": ranked(incl_n, True)}


def print_profile(label: str, summary: dict) -> None:
    print(f"profile {label}: {summary['samples']} samples")
    print("  self %   (where the CPU was)")
    for frame, share in summary["self"]:
        print(f"  {share:5.1f}  {frame}")
    print("  incl %   (our functions, callees included)")
    for frame, share in summary["inclusive"]:
        print(f"  {share:5.1f}  {frame}")


# --- rounds against a baseline checkout (bench.registration, bench.checkin) -----------------------------------

def new_run_dir(chosen: Path | None, name: str) -> Path:
    """`chosen`, or bench/results/<name> (with "+" appended while taken: two runs started within a second)."""
    run_dir = chosen or ROOT / "bench" / "results" / name
    while run_dir.exists() and chosen is None:
        run_dir = run_dir.with_name(run_dir.name + "+")
    run_dir.mkdir(parents=True, exist_ok=True)
    return run_dir


@contextmanager
def round_database(database_url: str | None, backend: str, run_dir: Path) -> Iterator[tuple[str, Path]]:
    """A round's own database (a fresh PostgreSQL database on the server of `database_url`, else a SQLite file in
    `run_dir`, kept with the logs) and instance folder: (database URL, instance folder), removed after the round."""
    run_dir.mkdir(parents=True, exist_ok=True)
    instance_dir = run_dir / "instance"
    instance_dir.mkdir(exist_ok=True)
    db_url = database_url
    try:
        if backend == "postgresql":
            db_url = fresh_postgres_database(db_url, run_database_name())
        elif not db_url:
            db_url = f"sqlite:///{run_dir / 'bench.sqlite3'}"
        yield db_url, instance_dir
    finally:
        shutil.rmtree(instance_dir, ignore_errors=True)
        if backend == "postgresql" and db_url and db_url != database_url:
            drop_postgres_database(db_url)


def code_roots(baseline_root: Path | None) -> list[tuple[str, Path]]:
    """The checkouts to measure: this one, after the baseline's (`--baseline-root`) when one is given."""
    return [("baseline", baseline_root.resolve()), ("this", ROOT)] if baseline_root else [("this", ROOT)]


def run_rounds(codes: list[tuple[str, Path]], repeats: int, run_dir: Path, run_round: Callable[[Path, Path], dict],
               line: Callable[[dict], str]) -> dict[str, list[dict]] | None:
    """`repeats` rounds, each measuring every checkout in turn, so the baseline and this code see the same load on a
    shared machine. `run_round(root, round_dir)` returns a round's figures with its "problems"; one line is printed
    a round (`line(figures)`). None when a round could not be set up (said on stderr)."""
    rounds: dict[str, list[dict]] = {name: [] for name, _ in codes}
    try:
        for k in range(repeats):
            for name, root in codes:
                got = run_round(root, run_dir / f"{name}-{k + 1}")
                rounds[name].append(got)
                print(f"round {k + 1} {name:8} {line(got)}"
                      + (f"  PROBLEMS: {'; '.join(got['problems'])}" if got["problems"] else ""), flush=True)
    except (SetupError, requests.RequestException, ValueError, KeyError) as exc:
        print(f"bench setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return None
    return rounds


def spread(rounds: list[dict], figures: Sequence[str]) -> dict[str, dict[str, float]]:
    """Median, min and max of each figure over the rounds (a missing or NaN figure is left out)."""
    out = {}
    for key in figures:
        values = [r[key] for r in rounds if r.get(key) is not None and r[key] == r[key]]
        if values:
            out[key] = {"median": round(statistics.median(values), 2), "min": min(values), "max": max(values)}
    return out


def report_rounds(summary: dict, rounds: dict[str, list[dict]], figures: Sequence[str], *, width: int,
                  py_spy: bool, profile_label: str, started: float) -> int:
    """Print each checkout's spread (and its last round's profile), the total time and, last, the JSON summary;
    the exit status: 1 when this code's rounds found problems."""
    for name, got in rounds.items():
        summary[name] = spread(got, figures)
        print(f"{name}: median [min..max] over {len(got)} round(s)")
        for key, v in summary[name].items():
            print(f"  {key:{width}} {v['median']:>9} [{v['min']} .. {v['max']}]")
        if py_spy and got[-1]["profile"]:
            print_profile(f"{name} ({profile_label})", got[-1]["profile"])
            summary[name]["profile"] = got[-1]["profile"]
        summary[name]["problems"] = [p for r in got for p in r["problems"]]
    print(f"total run time     {time.monotonic() - started:.1f} s")
    print(json.dumps(summary))
    return 1 if summary["this"]["problems"] else 0
