"""Media tests. API-level tests (test_janus_api.py, test_pool_turn.py) need only a local Janus on 127.0.0.1
(tests/media/fixtures.py). Browser media tests (test_media_*.py) run in the network namespace of
tests/media/harness.py: root, `ip netns`, Janus, coturn, Chromium, and EVENTHUB_TEST_MEDIA=1 (.ci/run sets it);
otherwise they are skipped with the reason, repeated in the terminal summary."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, sync_playwright

from eventhub.media import launcher
from eventhub.media.janus import JanusClient, JanusServer
from eventhub.media.rooms import PluginHandle, VideoRoomAdmin
from tests.media import harness
from tests.media.fixtures import janus_server, janus_setup, server_of  # noqa: F401 (fixtures)

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
STATIC_PORT = 8000
_skips: list[str] = []


@dataclass
class MediaEnv:
    ns: harness.Namespace
    work: Path
    janus: launcher.JanusSetup
    janus_proc: Any
    coturn: harness.Coturn
    pages_url: str
    y4m: Path
    wav: Path
    procs: list[Any] = field(default_factory=list)

    server: JanusServer | None = None  # as the test process reaches it (forwarders); public_url = inside url
    janus2: launcher.JanusSetup | None = None  # a second server: the failover test kills one of them
    janus2_proc: Any = None
    server2: JanusServer | None = None

    def setup_named(self, name: str) -> launcher.JanusSetup:
        return self.janus if name == self.janus.name else self.janus2  # type: ignore[return-value]

    def server_named(self, name: str) -> JanusServer:
        return self.server if name == self.janus.name else self.server2  # type: ignore[return-value]

    def client(self) -> JanusClient:
        assert self.server is not None
        return JanusClient(self.server)

    def videoroom(self) -> VideoRoomAdmin:
        return VideoRoomAdmin(PluginHandle(self.client(), "janus.plugin.videoroom"))


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"{what}: not true within {timeout:.0f}s (last: {last!r})")


@pytest.fixture(scope="session")
def media_env() -> Iterator[MediaEnv]:
    reason = harness.why_not()
    if reason:
        _skips.append(reason)
        pytest.skip(reason)
    work = harness.workdir()
    ns = harness.Namespace().create()
    procs: list[Any] = []
    try:
        setup, janus_proc = harness.start_janus(ns, work)
        procs.append(janus_proc)
        setup2, janus2_proc = harness.start_janus(ns, work, name="j2", http_port=8089, admin_port=7089,
                                                  rtp_range="30000-39999")
        procs.append(janus2_proc)
        coturn = harness.Coturn(secret=secrets.token_urlsafe(18)).start(ns, work)
        procs.append(coturn.proc)
        pages = work / "pages"
        pages.mkdir()
        for src in [*PAGES.iterdir(), *(ROOT / "static" / "vendor" / "janus").glob("*.js"),
                    ROOT / "static" / "js" / "media-keepalive.js"]:
            shutil.copy(src, pages / src.name)
        static = ns.popen(["python3", "-m", "http.server", str(STATIC_PORT), "--bind", "127.0.0.1", "--directory",
                           str(pages)], log=work / "static.log")
        procs.append(static)
        env = MediaEnv(ns=ns, work=work, janus=setup, janus_proc=janus_proc, coturn=coturn,
                       pages_url=f"http://127.0.0.1:{STATIC_PORT}", y4m=harness.make_y4m(work / "camera.y4m"),
                       wav=harness.make_wav(work / "tone.wav"), procs=procs)
        api, admin = harness.Forwarder(ns, setup.http_port), harness.Forwarder(ns, setup.admin_port)
        procs.extend([api, admin])
        env.server = harness.outside_server(setup, api, admin)
        api2, admin2 = harness.Forwarder(ns, setup2.http_port), harness.Forwarder(ns, setup2.admin_port)
        procs.extend([api2, admin2])
        env.janus2, env.janus2_proc, env.server2 = setup2, janus2_proc, harness.outside_server(setup2, api2, admin2)
        wait_until(lambda: ns.exec("python3", "-c", "import urllib.request as u;u.urlopen('http://127.0.0.1:"
                                   f"{STATIC_PORT}/raw.html',timeout=1)", check=False).returncode == 0,
                   15, "static page server in the namespace")
        yield env
    finally:
        for proc in reversed(procs):
            if isinstance(proc, harness.Forwarder):
                proc.close()
            elif proc is not None:
                launcher.stop(proc)
        ns.delete()


@pytest.fixture(scope="session")
def media_browser(media_env: MediaEnv) -> Iterator[Browser]:
    wrapper = harness.chromium_wrapper(media_env.ns, media_env.work)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(wrapper), headless=True,
                                     args=harness.chromium_args(media_env.y4m, media_env.wav), timeout=60_000)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_page(media_browser: Browser) -> Iterator[Any]:
    """new_page() → a Page in its own context (its own camera permission, cookies); all closed after the test."""
    contexts = []

    def make() -> Page:
        ctx = media_browser.new_context(permissions=["camera", "microphone"])
        contexts.append(ctx)
        page = ctx.new_page()
        page.set_default_timeout(20_000)
        return page

    yield make
    for ctx in contexts:
        ctx.close()


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


def app_env(media_env: MediaEnv, servers: list[dict[str, str]], work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED_PREFIXES) and k not in _SCRUBBED}
    env.update(DATABASE_URL=f"sqlite:///{work / 'stage.sqlite3'}", EVENTHUB_INSTANCE_DIR=str(work / "instance"),
               EVENTHUB_CONFIG="development", SECRET_KEY="media-e2e-secret-key-not-for-production",
               SOCKETIO_ASYNC_MODE="gevent", HOST="127.0.0.1", PORT=str(APP_PORT), PYTHONUNBUFFERED="1",
               JANUS_SERVERS=json.dumps(servers), TURN_URLS=",".join(media_env.coturn.urls),
               TURN_SECRET=media_env.coturn.secret, TURN_TTL="600", JANUS_HEALTH_INTERVAL="1",
               JANUS_HEALTH_FAILURES="2", RATELIMIT_ENABLED="0")
    return env


def run_child(env: dict[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
                          stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        pytest.fail(f"`{' '.join(args)}` failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-5000:]}")
    return done.stdout


def start_app(media_env: MediaEnv, servers: list[dict[str, str]], work: Path, extra_panelists: int = 0) -> MediaApp:
    env = app_env(media_env, servers, work)
    (work / "instance").mkdir(parents=True, exist_ok=True)
    offline = dict(env, JANUS_HEALTH_INTERVAL="0")  # the CLI children run outside the namespace
    run_child(offline, "-m", "flask", "--app", "wsgi", "db", "upgrade")
    seed = json.loads(run_child(offline, "-m", "tests.media.seed_stage", str(extra_panelists)).strip().splitlines()[-1])
    log = work / "app.log"
    proc = media_env.ns.popen([sys.executable, "-m", "eventhub"], log=log, env=env, cwd=ROOT)
    forward = harness.Forwarder(media_env.ns, APP_PORT)
    media_env.procs.append(forward)
    outside = f"http://127.0.0.1:{forward.port}"

    def healthy() -> bool:
        if proc.poll() is not None:
            pytest.fail(f"the app exited with {proc.returncode}:\n{log.read_text(errors='replace')[-4000:]}")
        try:
            return requests.get(outside + "/healthz", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    wait_until(healthy, 30, "the app server inside the namespace answers /healthz", interval=0.2)
    return MediaApp(base_url=f"http://127.0.0.1:{APP_PORT}", outside_url=outside, seed=seed, env=env, proc=proc,
                    log=log)


@pytest.fixture(scope="session")
def media_app(media_env: MediaEnv) -> Iterator[MediaApp]:
    """`python -m eventhub` (gevent) inside the namespace on a fresh SQLite database seeded with the round table
    (tests/media/seed_stage.py), pointed at the namespace's two Janus servers (j1 first: the stage lands there)
    and coturn."""
    work = media_env.work / "app"
    work.mkdir()
    assert media_env.janus2 is not None
    app = start_app(media_env, [media_env.janus.server_entry(), media_env.janus2.server_entry()], work)
    try:
        yield app
    finally:
        launcher.stop(app.proc)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _skips:
        return
    terminalreporter.section("media tests skipped", sep="!", yellow=True, bold=True)
    terminalreporter.write_line(_skips[0], yellow=True, bold=True)


