"""Media tests. API-level tests (test_janus_api.py, test_pool_turn.py) need only a local Janus on 127.0.0.1
(tests/media/fixtures.py). Browser media tests (test_media_*.py) run in the network namespace of
tests/media/harness.py: root, `ip netns`, Janus, coturn, Chromium, and EVENTHUB_TEST_MEDIA=1 (.ci/run sets it);
otherwise they are skipped with the reason, repeated in the terminal summary."""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from eventhub.media import launcher
from eventhub.media.janus import JanusClient, JanusServer
from eventhub.media.rooms import PluginHandle, VideoRoomAdmin
from tests.media import harness
from tests.media.appserver import MediaApp, start_app

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
STATIC_PORT = 8000
START_TIMEOUT = float(os.environ.get("EVENTHUB_E2E_START_TIMEOUT", "30"))  # the app server: more on a loaded box
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
def media_browser(media_env: MediaEnv, playwright_session: Any) -> Iterator[Browser]:
    wrapper = harness.chromium_wrapper(media_env.ns, media_env.work)
    browser = playwright_session.chromium.launch(executable_path=str(wrapper), headless=True,
                                                 args=harness.chromium_args(media_env.y4m, media_env.wav),
                                                 timeout=60_000)
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


@pytest.fixture(scope="session")
def media_app(media_env: MediaEnv) -> Iterator[MediaApp]:
    """`python -m eventhub` (gevent) inside the namespace on a fresh SQLite database seeded with the round table
    (tests/media/seed_stage.py), pointed at the namespace's two Janus servers (j1 first: the stage lands there)
    and coturn."""
    work = media_env.work / "app"
    work.mkdir()
    assert media_env.janus2 is not None
    try:
        app = start_app(media_env.ns, [media_env.janus.server_entry(), media_env.janus2.server_entry()], work,
                        turn_urls=media_env.coturn.urls, turn_secret=media_env.coturn.secret, keep=media_env.procs,
                        timeout=START_TIMEOUT)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    try:
        yield app
    finally:
        launcher.stop(app.proc)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _skips:
        return
    terminalreporter.section("media tests skipped", sep="!", yellow=True, bold=True)
    terminalreporter.write_line(_skips[0], yellow=True, bold=True)


