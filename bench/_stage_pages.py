"""bench/stage.py's measurements on the stage's own pages (the real app inside the namespace, the stage area's
templates and static/js/stage-*.js): a panelist's "join" click → the first decoded frame on the hall's screen, and
the stage manager's "bring live" click → the speaker visible on the screen. Times are page clocks (Date.now()) of one
Chromium, so they compare; the screen page runs in-page pollers (every 25 ms for decoded frames via getStats, every
10 ms for visibility), so the figures carry up to that much sampling delay."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.media.appserver import MediaApp, start_app

FIRST_FRAMES = """() => { window.__first = window.__first || {}; if (window.__poll) return true;
  window.__poll = setInterval(async () => {
    const st = window.eventhubStage; if (!st || !st.subscribers) return;
    for (const [feed, sub] of Object.entries(st.subscribers)) {
      if (window.__first[feed]) continue;
      const pc = sub.handle && sub.handle.webrtcStuff && sub.handle.webrtcStuff.pc; if (!pc) continue;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "video" && s.framesDecoded > 0 && !window.__first[feed])
          window.__first[feed] = Date.now();
      });
    }
  }, 25); return true; }"""
VISIBLE = """() => { window.__visible = window.__visible || {}; if (window.__vpoll) return true;
  window.__vpoll = setInterval(() => {
    document.querySelectorAll("#stage-live [data-feed-id]").forEach((box) => {
      const v = box.querySelector("video"); const f = box.dataset.feedId;
      if (v && !box.hidden && v.videoWidth > 0) { if (!window.__visible[f]) window.__visible[f] = Date.now(); }
      else delete window.__visible[f];
    });
  }, 10); return true; }"""
CLICK = """(selector) => { const t = Date.now(); document.querySelector(selector).click(); return t; }"""


def _wait(predicate, timeout: float, what: str, interval: float = 0.05):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(what)


class StagePages:
    def __init__(self, bench: Any, joins: int, switches: int) -> None:
        self.bench, self.joins, self.switches = bench, joins, switches
        self.app: MediaApp | None = None

    def start(self, work: Path) -> MediaApp:
        b = self.bench
        self.app = start_app(b.ns, [b.janus.server_entry()], work, turn_urls=[], turn_secret="unused",
                             keep=b.procs, extra_panelists=self.joins + 1, timeout=120)  # loaded machines
        b.procs.append(self.app.proc)
        return self.app

    def _page(self):  # noqa: ANN202
        ctx = self.bench.browser.new_context(permissions=["camera", "microphone"])
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        return ctx, page

    def _ready(self, page) -> None:  # noqa: ANN001
        _wait(lambda: page.evaluate("() => !!(window.eventhubStage && window.eventhubStage.status === 'live')"),
              30, "the page's /stage socket is live")

    def run(self) -> dict[str, list[float]]:
        assert self.app is not None
        seed, base = self.app.seed, self.app.base_url
        mctx, manager = self._page()
        manager.goto(f"{base}/login")
        manager.fill("input[name=email]", seed["manager_email"])
        manager.fill("input[name=password]", seed["manager_password"])
        manager.press("input[name=password]", "Enter")
        manager.wait_for_load_state()
        manager.goto(f"{base}/manage/events/{seed['event_id']}/stage/{seed['session_id']}")
        self._ready(manager)
        ack = manager.evaluate("() => window.eventhubStage.emit('manage', {action: 'open'})")
        if not ack.get("ok"):
            raise RuntimeError(f"could not open the stage: {ack}")
        sctx, screen = self._page()
        screen.goto(f"{base}/stage/{seed['session_id']}/screen?key={seed['screen_key']}")
        self._ready(screen)
        _wait(lambda: screen.evaluate("() => !!window.eventhubStage.janus"), 30, "the screen reached Janus")
        screen.evaluate(FIRST_FRAMES)
        screen.evaluate(VISIBLE)

        joins: list[float] = []
        kept = []
        panelists = seed["panelists"]
        for k in range(-1, self.joins):
            p = panelists[k + 1]
            ctx, page = self._page()
            page.goto(f"{base}/e/{seed['slug']}/panelist/{p['token']}/stage/{seed['session_id']}")
            self._ready(page)
            t0 = page.evaluate(CLICK, "#join")
            feed = _wait(lambda pg=page: pg.evaluate("() => window.eventhubStage.feedId"), 30, "feed id")
            first = _wait(lambda f=feed: screen.evaluate("(f) => window.__first[f] || 0", f), 30,
                          f"join {k}: the screen decodes the panelist")
            if k >= 0:
                joins.append(first - t0)
            print(f"  page join {k + 1 if k >= 0 else '0 (warm-up, not counted)'}: {first - t0:.0f} ms", flush=True)
            if k >= self.joins - 2:
                kept.append((ctx, page, feed))  # the last two stay for the live switches
            else:
                page.evaluate("() => window.eventhubStage.emit('leave', {token: window.eventhubStage.creds.token})")
                ctx.close()

        switches: list[float] = []
        pids = []
        for _ctx, page, _feed in kept:
            pids.append(page.evaluate("() => window.eventhubStage.me.participant_id"))
        feeds = [feed for _c, _p, feed in kept]
        for k in range(self.switches):
            pid, feed = pids[k % 2], feeds[k % 2]
            t0 = manager.evaluate(CLICK, f"[data-action=bring_live][data-participant='{pid}']")
            shown = _wait(lambda f=feed: screen.evaluate("(f) => window.__visible[f] || 0", f), 20,
                          f"switch {k}: the speaker shows on the screen")
            switches.append(shown - t0)
            print(f"  bring live {k + 1}: {shown - t0:.0f} ms", flush=True)
            _wait(lambda p=pid: manager.evaluate(
                "(p) => !!document.querySelector(`[data-action=send_backstage][data-participant='${p}']`)", p),
                10, "send-backstage button")
            manager.evaluate(CLICK, f"[data-action=send_backstage][data-participant='{pid}']")
            _wait(lambda f=feed: not screen.evaluate("(f) => window.__visible[f] || 0", f), 20, "back off screen")
        for ctx, page, _feed in kept:  # leave, so the plain-page phases that follow run on a quiet machine
            page.evaluate("() => window.eventhubStage.emit('leave', {token: window.eventhubStage.creds.token})")
            ctx.close()
        for ctx in (sctx, mctx):
            ctx.close()
        return {"joins": joins, "switches": switches}
