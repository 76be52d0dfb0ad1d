"""The app server inside the media namespace: `python -m eventhub` (gevent) on a fresh SQLite database seeded
with the round table (tests/media/seed_stage.py), pointed at the namespace's Janus servers and coturn. Used by the
media tests (tests/media/conftest.py) and bench/stage.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from tests.media import harness

ROOT = Path(__file__).resolve().parents[2]
APP_PORT = 5000  # inside the namespace: its own port space
_SCRUBBED_PREFIXES = ("EVENTHUB_", "SOCKETIO_", "MAIL_", "RATELIMIT_", "JANUS_", "TURN_", "STUN_", "MEDIA_")
_SCRUBBED = ("DATABASE_URL", "REDIS_URL", "PUBLIC_BASE_URL", "HOST", "PORT", "SECRET_KEY", "FLASK_APP")


@dataclass
class MediaApp:
    base_url: str  # as the browsers inside the namespace reach it
    outside_url: str  # as the test process reaches it (forwarder)
    seed: dict[str, Any]
    env: dict[str, str]
    proc: Any
    log: Path

    def logs(self) -> str:
        return self.log.read_text(errors="replace")[-6000:]


def app_env(servers: list[dict[str, str]], work: Path, *, turn_urls: list[str], turn_secret: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED}
    env.update(DATABASE_URL=f"sqlite:///{work / 'stage.sqlite3'}", EVENTHUB_INSTANCE_DIR=str(work / "instance"),
               EVENTHUB_CONFIG="development", SECRET_KEY="media-e2e-secret-key-not-for-production",
               SOCKETIO_ASYNC_MODE="gevent", HOST="127.0.0.1", PORT=str(APP_PORT), PYTHONUNBUFFERED="1",
               JANUS_SERVERS=json.dumps(servers), TURN_URLS=",".join(turn_urls), TURN_SECRET=turn_secret,
               TURN_TTL="600", JANUS_HEALTH_INTERVAL="1", JANUS_HEALTH_FAILURES="2")
    return env


def run_child(env: dict[str, str], *args: str) -> str:
    timeout = float(os.environ.get("EVENTHUB_E2E_CLI_TIMEOUT", "180"))  # a loaded 2-core box needs minutes
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                           f"{done.stderr[-5000:]}")
    return done.stdout


def start_app(ns: harness.Namespace, servers: list[dict[str, str]], work: Path, *, turn_urls: list[str],
              turn_secret: str, keep: list[Any], extra_panelists: int = 0, timeout: float = 30) -> MediaApp:
    """Migrate, seed, start the server inside `ns` and wait for /healthz (RuntimeError when it does not come up).
    The forwarder is appended to `keep` (closed by the caller's teardown)."""
    env = app_env(servers, work, turn_urls=turn_urls, turn_secret=turn_secret)
    (work / "instance").mkdir(parents=True, exist_ok=True)
    offline = dict(env, JANUS_HEALTH_INTERVAL="0")  # the CLI children run outside the namespace
    run_child(offline, "-m", "flask", "--app", "wsgi", "db", "upgrade")
    seed = json.loads(run_child(offline, "-m", "tests.media.seed_stage", str(extra_panelists)).strip().splitlines()[-1])
    log = work / "app.log"
    proc = ns.popen([sys.executable, "-m", "eventhub"], log=log, env=env, cwd=ROOT)
    forward = harness.Forwarder(ns, APP_PORT)
    keep.append(forward)
    outside = f"http://127.0.0.1:{forward.port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"the app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            if requests.get(outside + "/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            harness.launcher.stop(proc)
            raise RuntimeError(f"the app did not answer /healthz within {timeout:.0f}s:\n"
                               f"{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.2)
    return MediaApp(base_url=f"http://127.0.0.1:{APP_PORT}", outside_url=outside, seed=seed, env=env, proc=proc,
                    log=log)


def restart_app(ns: harness.Namespace, app: MediaApp, *, timeout: float = 120) -> None:
    """Stop the app server (SIGTERM, as a deploy does) and start it again on the same database, address and
    environment; wait for /healthz. The browsers' sockets drop and reconnect by themselves; Janus is untouched."""
    harness.launcher.stop(app.proc)
    app.proc = ns.popen([sys.executable, "-m", "eventhub"], log=app.log, env=app.env,
                        cwd=ROOT)
    deadline = time.monotonic() + timeout
    while True:
        if app.proc.poll() is not None:
            raise RuntimeError(f"the restarted app exited with {app.proc.returncode}")
        try:
            if requests.get(app.outside_url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"the restarted app did not answer /healthz within {timeout:.0f}s")
        time.sleep(0.2)
