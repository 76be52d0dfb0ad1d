"""bench/stage.py's floor figures.

- speaker_start (on the stage's own pages, the real app): the moderator's floor `start` of a remote panelist who is
  connected backstage → that speaker's audio arriving at the hall's screen (their tile shown, unmuted, and its
  inbound audio samples growing; an in-page poller every 20 ms). Alternates two panelists: each start ends the
  other's turn (the path the floor and the stage share: speech_started → bring live → broadcast → the screen).
- interpretation_extra_delay (plain janus.js pages, tests/media/pages/interp.*): one page sends the same beeping
  track into the floor (VideoRoom) and into an interpretation channel (made with eventhub.media.channels.place, as
  the app makes it: the AudioBridge room the interpreter speaks into, forwarded to the Streaming mountpoint that
  listeners watch); a listener page stamps each beep's onset on the floor and on the mountpoint; extra = channel
  onset − floor onset, per beep.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from bench._server import percentile
from eventhub.media.channels import listen_pin, place
from eventhub.media.janus import AUDIOBRIDGE, STREAMING, VIDEOROOM
from eventhub.media.rooms import AudioBridgeAdmin, PluginHandle, StreamingAdmin
from eventhub.media.tokens import new_token

AUDIBLE = """() => { window.__audible = window.__audible || {}; if (window.__apoll) return true;
  const seen = {};
  window.__apoll = setInterval(async () => {
    const st = window.eventhubStage; if (!st || !st.subscribers) return;
    for (const box of document.querySelectorAll("#stage-live [data-feed-id]")) {
      const f = box.dataset.feedId, v = box.querySelector("video");
      if (box.hidden || !v || v.muted) { delete window.__audible[f]; delete seen[f]; continue; }
      if (window.__audible[f]) continue;
      const sub = st.subscribers[f];
      const pc = sub && sub.handle && sub.handle.webrtcStuff && sub.handle.webrtcStuff.pc;
      if (!pc) continue;
      let samples = 0;
      (await pc.getStats()).forEach((s) => {
        if (s.type === "inbound-rtp" && s.kind === "audio") samples = s.totalSamplesReceived || 0; });
      if (seen[f] === undefined) seen[f] = samples;
      else if (samples > seen[f]) window.__audible[f] = Date.now();
    }
  }, 20); return true; }"""
FLOOR = """async (sid) => {
  if (!window.floorCall) {
    const s = window.io("/floor", { transports: ["websocket"] });
    await new Promise((r) => s.on("connect", r));
    window.floorCall = (e, p) => new Promise((r) => s.emit(e, p, r));
  }
  return window.floorCall("join", { session_id: sid });
}"""
START = """async ([speaker]) => { const t = Date.now();
  const ack = await window.floorCall("start", { speaker_id: speaker });
  return [t, ack.ok ? "" : ack.error.code]; }"""


def _wait(predicate, timeout: float, what: str, interval: float = 0.02):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(what)


def summary(values: list[float]) -> dict[str, Any]:
    v = sorted(values)
    return {"n": len(v), "p50": round(statistics.median(v)), "p95": round(percentile(v, 95)),
            "min": round(v[0]), "max": round(v[-1])} if v else {"n": 0}


def speaker_starts(pages: Any, app: Any, rounds: int) -> list[float]:
    """`pages` is bench._stage_pages.StagePages (its browser contexts); two panelists its joins left unused."""
    seed, base, sid = app.seed, app.base_url, app.seed["session_id"]
    mctx, manager = pages._page()
    manager.goto(f"{base}/login")
    manager.fill("input[name=email]", seed["manager_email"])
    manager.fill("input[name=password]", seed["manager_password"])
    manager.press("input[name=password]", "Enter")
    manager.wait_for_load_state()
    manager.goto(f"{base}/manage/events/{seed['event_id']}/stage/{sid}")
    pages._ready(manager)
    manager.evaluate("() => window.eventhubStage.emit('manage', {action: 'open'})")  # already open: refused, fine
    if not manager.evaluate(FLOOR, sid).get("ok"):
        raise RuntimeError("the moderator's floor socket was refused")
    sctx, screen = pages._page()
    screen.goto(f"{base}/stage/{sid}/screen?key={seed['screen_key']}")
    pages._ready(screen)
    _wait(lambda: screen.evaluate("() => !!window.eventhubStage.janus"), 30, "the screen reached Janus")
    screen.evaluate(AUDIBLE)
    people, speakers, feeds = [], [], []
    for p in seed["panelists"][-2:]:
        ctx, page = pages._page()
        page.goto(f"{base}/e/{seed['slug']}/panelist/{p['token']}/stage/{sid}")
        pages._ready(page)
        page.click("#join")
        _wait(lambda pg=page: pg.evaluate("() => window.eventhubStage.joined === true"), 40, "panelist joined")
        feeds.append(page.evaluate("() => window.eventhubStage.feedId"))
        ack = manager.evaluate("([sid, pid]) => window.floorCall('add_speaker', {session_id: sid, kind: 'panelist', "
                               "panelist_id: pid})", [sid, p["id"]])
        speakers.append(ack["data"]["speaker"]["id"])
        people.append(ctx)
    # Both received by the screen (pre-subscribed while backstage) before the clock starts.
    for feed in feeds:
        _wait(lambda f=feed: screen.evaluate("(f) => !!window.eventhubStage.subscribers[f]", f), 40, "pre-subscribed")
    times: list[float] = []
    for k in range(-1, rounds):
        speaker, feed = speakers[k % 2], feeds[k % 2]
        t0, error = manager.evaluate(START, [speaker])
        if error:
            raise RuntimeError(f"start refused: {error}")
        heard = _wait(lambda f=feed: screen.evaluate("(f) => window.__audible[f] || 0", f), 30,
                      f"start {k}: the screen plays the speaker")
        if k >= 0:
            times.append(heard - t0)
        print(f"  speaker start {k + 1 if k >= 0 else '0 (warm-up, not counted)'}: {heard - t0:.0f} ms", flush=True)
    manager.evaluate("(sid) => window.floorCall('end', {session_id: sid})", sid)
    for ctx in (*people, sctx, mctx):
        ctx.close()
    return times


def interpretation_delay(bench: Any, beeps: int) -> list[float]:
    """Channel onset − floor onset for each beep both paths delivered (plain janus.js pages)."""
    bridge_room, secret = 3_000_002, "bench-bridge-secret"  # noqa: S105 (a throw-away room)
    token = new_token(3600)
    bench.client.add_token(token, [VIDEOROOM, AUDIOBRIDGE, STREAMING])
    bench.rooms.allow(3_000_001, secret="bench-room-secret", tokens=[token])
    bridge = AudioBridgeAdmin(PluginHandle(bench.client, AUDIOBRIDGE))
    streaming = StreamingAdmin(PluginHandle(bench.client, STREAMING))
    place(bridge, streaming, room_id=bridge_room, secret=secret, description="bench channel", allowed=[token])
    cfg = {"server": bench.janus.url, "room": 3_000_001, "bridge": bridge_room, "token": token,
           "mountpoint": bridge_room, "pin": listen_pin(secret)}
    contexts = []
    try:
        pctx = bench.browser.new_context()
        contexts.append(pctx)
        source = pctx.new_page()
        source.goto("http://127.0.0.1:8000/interp.html")
        source.evaluate("cfg => interp.connect(cfg)", cfg)
        source.evaluate("() => interp.beeper()")
        feed = source.evaluate("cfg => interp.publishFloor(cfg)", cfg)
        source.evaluate("cfg => interp.publishChannel(cfg)", cfg)
        lctx = bench.browser.new_context()
        contexts.append(lctx)
        listener = lctx.new_page()
        listener.goto("http://127.0.0.1:8000/interp.html")
        listener.evaluate("cfg => interp.connect(cfg)", cfg)
        listener.evaluate("([cfg, feed]) => interp.listen(cfg, feed)", [cfg, feed])
        onsets = _wait(lambda: (o := listener.evaluate("() => interp.onsets")) and len(o["floor"]) >= beeps + 2
                       and len(o["channel"]) >= beeps + 2 and o, beeps * 3 + 30, "beeps on both paths")
        floor, channel = onsets["floor"][2:], onsets["channel"]  # the first beeps: paths still settling
        extra = []
        for f in floor:
            near = [c - f for c in channel if -300 <= c - f <= 800]
            if near:
                extra.append(min(near, key=abs))
        return extra
    finally:
        for ctx in contexts:
            ctx.close()
        streaming.destroy(bridge_room, secret=secret)
        bridge.destroy(bridge_room, secret=secret)
        streaming.handle.close()
        bridge.handle.close()
