"""The stage's media path: join time, live switch, what viewers receive, Janus CPU per subscriber.

    python -m bench.stage [--joins 12] [--switches 10] [--subscribers 20] [--measure-seconds 10]
                          [--speaker-starts 10] [--beeps 12]

Root only (it makes a network namespace, like the media tests: tests/media/harness.py). Starts, inside `ehm<pid>`:
Janus (the config eventhub.media.launcher generates, ICE on the veth v0), a static server for the bench page
(tests/media/pages/bench.*, plain janus.js from static/vendor/janus), Debian's Chromium with the fake camera
(640×480 y4m) and a 440 Hz tone, and aiortc subscribers (bench/_stage_subscribers.py). The room, tokens and ACL are
made server-side with eventhub.media (the same calls the stage makes), through a forwarder into the namespace.

- join: a panelist page connects to Janus with its token and publishes (simulcast camera + microphone) at t0 (page
  clock); the "screen" page, a listener in the room, is told by Janus, subscribes and stamps the first decoded frame
  (requestVideoFrameCallback). join_ms = first frame on the screen − t0; over `--joins` fresh pages.
- live switch: two panelists publish; the screen drops one subscription and takes the other (what the screen does
  when the manager brings someone live); live_switch_ms = first frame of the new feed − the switch. The Socket.IO
  broadcast that triggers it in the app is not included (bench/qa_fanout.py measures that path: a few ms).
- audio_only_kbps / low_layer_kbps: inbound bytes (audio + video) over `--measure-seconds` of a viewer with video
  switched off / on simulcast substream 0.
- janus_cpu_pct_per_subscriber: Janus's CPU (user+system, % of one core) with `--subscribers` aiortc receive-only
  subscribers of one simulcast publisher (the highest layer), minus the same without them, divided by the number.

- speaker_start_p50_ms / _p95_ms (the floor, on the stage's own pages): the moderator's floor `start` of a remote
  panelist connected backstage → their audio playing on the hall's screen (bench/_stage_floor.py). Goal ≤ 1 s.
- interpretation_extra_delay_ms: the median over beeps of (onset on an interpretation channel: AudioBridge room →
  forwarder → Streaming mountpoint, as listeners hear it) − (onset on the floor, VideoRoom) for the same track sent
  into both (p95 and spread printed). Goal ≤ 300 ms.

Readable lines, and last one JSON object. Exit status 0 when the run completed, 2 when it could not be set up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import sync_playwright

from bench._server import percentile, proc_cpu
from bench._stage_floor import interpretation_delay, speaker_starts, summary
from bench._stage_pages import StagePages
from eventhub.media import launcher
from eventhub.media.janus import JanusClient
from eventhub.media.rooms import PluginHandle, VideoRoomAdmin
from eventhub.media.tokens import new_token
from tests.media import harness

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "media" / "pages"
STATIC_PORT = 8000
ROOM = 3_000_001
ROOM_SECRET = "bench-room-secret"  # noqa: S105 (a throw-away room)


def _wait(predicate, timeout: float, what: str, interval: float = 0.02):  # noqa: ANN001, ANN202
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(what)


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.work = harness.workdir()
        self.ns = harness.Namespace()
        self.procs: list[Any] = []
        self.cfg: dict[str, Any] = {}

    # --- setup ------------------------------------------------------------------------------------------------
    def setup(self) -> None:
        self.ns.create()
        self.janus, janus_proc = harness.start_janus(self.ns, self.work, rtp_range="20000-39999")
        self.janus_proc = janus_proc
        self.procs.append(janus_proc)
        pages = self.work / "pages"
        pages.mkdir()
        for src in [*PAGES.iterdir(), *(ROOT / "static" / "vendor" / "janus").glob("*.js"),
                    ROOT / "static" / "js" / "media-keepalive.js"]:
            shutil.copy(src, pages / src.name)
        self.procs.append(self.ns.popen(["python3", "-m", "http.server", str(STATIC_PORT), "--bind", "127.0.0.1",
                                         "--directory", str(pages)], log=self.work / "static.log"))
        api, admin = harness.Forwarder(self.ns, self.janus.http_port), harness.Forwarder(self.ns, self.janus.admin_port)
        self.procs += [api, admin]
        server = harness.outside_server(self.janus, api, admin)
        self.client = JanusClient(server)
        self.rooms = VideoRoomAdmin(PluginHandle(self.client, "janus.plugin.videoroom"))
        self.pub_token, self.screen_token, self.viewer_token = new_token(3600), new_token(3600), new_token(3600)
        for token in (self.pub_token, self.screen_token, self.viewer_token):
            self.client.add_token(token, ["janus.plugin.videoroom"])
        self.rooms.create(ROOM, secret=ROOM_SECRET, publishers=6, allowed=[self.pub_token, self.screen_token])
        self.cfg = {"server": self.janus.url, "room": ROOM}
        self.y4m = harness.make_y4m(self.work / "camera.y4m")
        self.wav = harness.make_wav(self.work / "tone.wav")
        _wait(lambda: self.ns.exec("python3", "-c", "import urllib.request as u;u.urlopen('http://127.0.0.1:"
                                   f"{STATIC_PORT}/bench.html',timeout=1)", check=False).returncode == 0,
              15, "static server")

    def teardown(self) -> None:
        for proc in reversed(self.procs):
            if isinstance(proc, harness.Forwarder):
                proc.close()
            elif proc is not None:
                launcher.stop(proc)
        self.ns.delete()

    # --- pages ------------------------------------------------------------------------------------------------
    def page(self, token: str):  # noqa: ANN201
        ctx = self.browser.new_context(permissions=["camera", "microphone"])
        page = ctx.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"http://127.0.0.1:{STATIC_PORT}/bench.html")
        page.evaluate("cfg => bench.connect(cfg)", {**self.cfg, "token": token})
        return ctx, page

    def join_times(self, screen) -> list[float]:  # noqa: ANN001
        """The first join after Chromium started (camera and codec warm-up) is printed, not counted."""
        times = []
        for k in range(-1, self.args.joins):
            ctx = self.browser.new_context(permissions=["camera", "microphone"])
            page = ctx.new_page()
            page.goto(f"http://127.0.0.1:{STATIC_PORT}/bench.html")
            t0 = page.evaluate("""async (cfg) => { const t0 = Date.now(); await bench.connect(cfg);
                                  await bench.publish(cfg); return [t0, bench.feedId]; }""",
                               {**self.cfg, "token": self.pub_token, "display": f"join {k}"})
            start, feed = t0
            first = _wait(lambda f=feed: screen.evaluate("f => bench.firstFrame[f] || 0", f), 20,
                          f"join {k}: first frame on the screen")
            if k >= 0:
                times.append(first - start)
            print(f"  join {k + 1 if k >= 0 else '0 (warm-up, not counted)'}: {first - start:.0f} ms", flush=True)
            page.evaluate("() => bench.unpublish()")
            ctx.close()
            _wait(lambda f=feed: not screen.evaluate("f => !!bench.subs[f]", f), 20, "screen dropped the feed")
        return times

    def switch_times(self, screen, feeds: list[int]) -> list[float]:  # noqa: ANN001
        times = []
        for k in range(self.args.switches):
            new, old = feeds[k % 2], feeds[(k + 1) % 2]
            t0 = screen.evaluate("""async ([cfg, oldFeed, newFeed]) => { bench.unsubscribe(oldFeed);
                delete bench.firstFrame[newFeed]; bench.unsubscribe(newFeed);
                const t0 = Date.now(); await bench.subscribe(cfg, newFeed); return t0; }""",
                                 [{**self.cfg, "token": self.screen_token}, old, new])
            first = _wait(lambda f=new: screen.evaluate("f => bench.firstFrame[f] || 0", f), 20, "switch frame")
            times.append(first - t0)
            print(f"  switch {k + 1}: {first - t0:.0f} ms", flush=True)
        return times

    def viewer_kbps(self, feed: int, **opts: Any) -> tuple[float, dict]:
        ctx, page = self.page(self.viewer_token)
        page.evaluate("([cfg, feed, opts]) => bench.subscribe(cfg, feed, opts)",
                      [{**self.cfg, "token": self.viewer_token}, feed, opts])
        _wait(lambda: page.evaluate("f => bench.inbound(f)", feed)["audio"] > 0, 20, "viewer receives")
        time.sleep(3)  # layer switch and bandwidth estimate settle
        a = page.evaluate("f => bench.inbound(f)", feed)
        t0 = time.monotonic()
        time.sleep(self.args.measure_seconds)
        b = page.evaluate("f => bench.inbound(f)", feed)
        seconds = time.monotonic() - t0
        ctx.close()
        kbps = ((b["audio"] + b["video"]) - (a["audio"] + a["video"])) * 8 / seconds / 1000
        return kbps, {"video_kbps": (b["video"] - a["video"]) * 8 / seconds / 1000, "width": b["width"]}

    def janus_cpu(self, seconds: float) -> float:
        a = proc_cpu(self.janus_proc.pid)
        t0 = time.monotonic()
        time.sleep(seconds)
        b = proc_cpu(self.janus_proc.pid)
        if a is None or b is None:
            raise RuntimeError("cannot read Janus's CPU time")
        return 100 * (b[0] - a[0]) / (time.monotonic() - t0)

    def cpu_per_subscriber(self, feed: int) -> tuple[float, float, float, dict]:
        base = self.janus_cpu(self.args.measure_seconds)
        argv = [*self.ns.prefix, sys.executable, "-m", "bench._stage_subscribers", "--janus", self.janus.url,
                "--token", self.viewer_token, "--room", str(ROOM), "--feed", str(feed), "--n",
                str(self.args.subscribers), "--seconds", "300"]
        swarm = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                 stderr=open(self.work / "swarm.log", "w"))  # noqa: SIM115
        try:
            line = swarm.stdout.readline() if swarm.stdout else ""
            if not line.startswith("ready"):
                raise RuntimeError(f"aiortc subscribers did not start: {line!r}; see {self.work / 'swarm.log'}")
            time.sleep(3)
            loaded = self.janus_cpu(self.args.measure_seconds)
            swarm.stdin.close() if swarm.stdin else None
            result = json.loads(swarm.stdout.readline() or "{}") if swarm.stdout else {}
        finally:
            if swarm.poll() is None:
                swarm.terminate()
            swarm.wait(timeout=30)
        return base, loaded, (loaded - base) / self.args.subscribers, result

    # --- run --------------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        wrapper = harness.chromium_wrapper(self.ns, self.work)
        with sync_playwright() as pw:
            self.browser = pw.chromium.launch(executable_path=str(wrapper), headless=True,
                                              args=harness.chromium_args(self.y4m, self.wav), timeout=60_000)
            pages: dict[str, list[float]] = {}
            if self.args.page_joins or self.args.speaker_starts:
                print("the stage's own pages: the app inside the namespace (SQLite, seeded)", flush=True)
                stage_pages = StagePages(self, self.args.page_joins, self.args.switches)
                stage_pages.start(self.work / "app")
                pages = stage_pages.run() if self.args.page_joins else {}
                if self.args.speaker_starts:
                    print(f"speaker start: {self.args.speaker_starts} floor starts, alternating two panelists",
                          flush=True)
                    pages["speaker_starts"] = speaker_starts(stage_pages, stage_pages.app, self.args.speaker_starts)
                launcher.stop(stage_pages.app.proc)  # type: ignore[union-attr]
            extra: list[float] = []
            if self.args.beeps:
                print(f"interpretation: {self.args.beeps} beeps into the floor and a channel", flush=True)
                extra = interpretation_delay(self, self.args.beeps)
                print(f"  channel − floor per beep (ms): {[round(x) for x in extra]}", flush=True)
            _sctx, screen = self.page(self.screen_token)
            screen.evaluate("cfg => bench.watch(cfg)", {**self.cfg, "token": self.screen_token})
            print(f"run directory {self.work} (logs); namespace {self.ns.name}", flush=True)
            print(f"join: {self.args.joins} panelist pages publish; the screen decodes their first frame", flush=True)
            joins = sorted(self.join_times(screen))
            pubs, keep = [], []
            for k in range(2):
                ctx, page = self.page(self.pub_token)
                keep.append((ctx, page))
                pubs.append(page.evaluate("cfg => bench.publish(cfg)", {**self.cfg, "token": self.pub_token,
                                                                         "display": f"live {k}"}))
            for feed in pubs:
                _wait(lambda f=feed: screen.evaluate("f => bench.firstFrame[f] || 0", f), 20, "both on screen")
            print(f"live switch: {self.args.switches} switches between two publishers", flush=True)
            switches = sorted(self.switch_times(screen, pubs))
            time.sleep(2)
            audio_only, audio_info = self.viewer_kbps(pubs[0], audioOnly=True)
            print(f"audio-only viewer: {audio_only:.1f} kbit/s (video {audio_info['video_kbps']:.1f})", flush=True)
            low, low_info = self.viewer_kbps(pubs[0], substream=0)
            print(f"low-layer viewer: {low:.1f} kbit/s (video {low_info['video_kbps']:.1f}, "
                  f"{low_info['width']} px wide)", flush=True)
            high, high_info = self.viewer_kbps(pubs[0], substream=2)
            print(f"top-layer viewer (reference): {high:.1f} kbit/s ({high_info['width']} px wide)", flush=True)
            print(f"Janus CPU: {self.args.subscribers} aiortc subscribers of one simulcast publisher", flush=True)
            base, loaded, per, swarm = self.cpu_per_subscriber(pubs[0])
            print(f"  Janus {base:.1f} % of a core without them, {loaded:.1f} % with them: {per:.2f} % each "
                  f"(swarm decoded {swarm.get('frames', 0)} frames)", flush=True)
            self.browser.close()
        raw = {
            "raw_join_p50_ms": round(statistics.median(joins)), "raw_join_p95_ms": round(percentile(joins, 95)),
            "raw_joins": len(joins), "raw_switch_p50_ms": round(statistics.median(switches)),
            "raw_switch_p95_ms": round(percentile(switches, 95)),
        }
        if pages.get("joins"):
            pj, ps = sorted(pages["joins"]), sorted(pages["switches"])
            main = {"join_p50_ms": round(statistics.median(pj)), "join_p95_ms": round(percentile(pj, 95)),
                    "join_max_ms": round(pj[-1]), "joins": len(pj), "live_switch_p50_ms": round(statistics.median(ps)),
                    "live_switch_p95_ms": round(percentile(ps, 95)), "live_switches": len(ps),
                    "measured_on": "stage pages"}
        else:
            main = {"join_p50_ms": raw["raw_join_p50_ms"], "join_p95_ms": raw["raw_join_p95_ms"],
                    "joins": len(joins), "live_switch_p50_ms": raw["raw_switch_p50_ms"],
                    "live_switch_p95_ms": raw["raw_switch_p95_ms"], "measured_on": "plain janus.js pages"}
        floor: dict[str, Any] = {}
        if pages.get("speaker_starts"):
            st = summary(pages["speaker_starts"])
            floor.update(speaker_start_p50_ms=st["p50"], speaker_start_p95_ms=st["p95"],
                         speaker_start_max_ms=st["max"], speaker_starts=st["n"])
        if extra:
            ex = sorted(extra)
            floor.update(interpretation_extra_delay_ms=round(statistics.median(ex)),
                         interpretation_extra_delay_p95_ms=round(percentile(ex, 95)),
                         interpretation_extra_delay_min_ms=round(ex[0]),
                         interpretation_extra_delay_max_ms=round(ex[-1]), interpretation_beeps=len(ex))
        return {
            **main, **raw, **floor, "load_average_1min": round(harness.os.getloadavg()[0], 1),
            "audio_only_kbps": round(audio_only, 1), "low_layer_kbps": round(low, 1),
            "low_layer_width": low_info["width"], "top_layer_kbps": round(high, 1),
            "subscribers": swarm.get("clients", 0), "janus_cpu_pct_base": round(base, 1),
            "janus_cpu_pct_loaded": round(loaded, 1), "janus_cpu_pct_per_subscriber": round(per, 2),
        }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--joins", type=int, default=12, help="joins on the plain janus.js pages")
    ap.add_argument("--page-joins", type=int, default=12, help="joins on the stage's own pages (0: skip them)")
    ap.add_argument("--switches", type=int, default=10)
    ap.add_argument("--subscribers", type=int, default=20)
    ap.add_argument("--measure-seconds", type=float, default=10)
    ap.add_argument("--speaker-starts", type=int, default=10, help="floor starts on the stage pages (0: skip)")
    ap.add_argument("--beeps", type=int, default=12, help="beeps for the interpretation delay (0: skip)")
    args = ap.parse_args()
    reason = harness.why_not() if harness.os.environ.get("EVENTHUB_TEST_MEDIA") == "1" else None
    if reason is None:
        harness.os.environ["EVENTHUB_TEST_MEDIA"] = "1"
        reason = harness.why_not()
    if reason:
        print(f"bench.stage cannot run here: {reason}", file=sys.stderr)
        return 2
    bench = Bench(args)
    try:
        try:
            bench.setup()
        except (RuntimeError, OSError, subprocess.SubprocessError, TimeoutError) as exc:
            print(f"bench setup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
        summary = bench.run()
    finally:
        bench.teardown()
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
