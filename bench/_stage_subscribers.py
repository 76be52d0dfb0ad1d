"""Receive-only Janus subscribers with aiortc, for bench/stage.py's CPU figure. Runs INSIDE the bench's network
namespace (`ip netns exec … python -m bench._stage_subscribers …`): each client creates its own Janus session with
the viewer token, joins the room as a subscriber of one feed, answers Janus's offer with aiortc and consumes the
tracks (decoding them, as a browser would). Prints `ready <n>` once every client has media flowing, keeps them
until stdin closes or --seconds pass, then one JSON line: clients, frames, audio packets."""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import sys
import time

import aiohttp
from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.mediastreams import MediaStreamError


class Subscriber:
    def __init__(self, http: aiohttp.ClientSession, url: str, token: str, room: int, feed: int,
                 substream: int | None) -> None:
        self.http, self.url, self.token, self.room, self.feed, self.substream = http, url, token, room, feed, substream
        self.pc = RTCPeerConnection()
        self.frames = 0
        self.audio = 0
        self.session = self.handle = 0
        self.flowing = asyncio.Event()
        self.tasks: list[asyncio.Future] = []

    async def _post(self, path: str, body: dict) -> dict:
        body = {"transaction": secrets.token_hex(6), "token": self.token, **body}
        async with self.http.post(f"{self.url}{path}", json=body) as r:
            data = await r.json(content_type=None)
        if data.get("janus") == "error":
            raise RuntimeError(data["error"])
        return data

    async def _event(self, timeout: float = 10) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with self.http.get(f"{self.url}/{self.session}", params={"maxev": 1, "token": self.token}) as r:
                data = await r.json(content_type=None)
            for ev in data if isinstance(data, list) else [data]:
                if ev.get("jsep"):
                    return ev
        raise TimeoutError("no offer from Janus")

    async def start(self) -> None:
        self.session = (await self._post("", {"janus": "create"}))["data"]["id"]
        self.handle = (await self._post(f"/{self.session}", {"janus": "attach",
                                                            "plugin": "janus.plugin.videoroom"}))["data"]["id"]

        @self.pc.on("track")
        def on_track(track) -> None:  # noqa: ANN001
            self.tasks.append(asyncio.ensure_future(self._consume(track)))

        join = {"request": "join", "ptype": "subscriber", "room": self.room, "streams": [{"feed": self.feed}]}
        await self._post(f"/{self.session}/{self.handle}", {"janus": "message", "body": join})
        offer = (await self._event())["jsep"]
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer["sdp"], type=offer["type"]))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        answer = {"type": self.pc.localDescription.type, "sdp": self.pc.localDescription.sdp}
        await self._post(f"/{self.session}/{self.handle}", {"janus": "message", "body": {"request": "start"},
                                                           "jsep": answer})
        if self.substream is not None:
            await self._post(f"/{self.session}/{self.handle}", {"janus": "message", "body": {
                "request": "configure", "substream": self.substream}})

    async def _consume(self, track) -> None:  # noqa: ANN001
        try:
            while True:
                await track.recv()
                if track.kind == "video":
                    self.frames += 1
                    if self.frames >= 5:
                        self.flowing.set()
                else:
                    self.audio += 1
        except MediaStreamError:
            return

    async def keepalive(self) -> None:
        await self._post(f"/{self.session}", {"janus": "keepalive"})

    async def close(self) -> None:
        try:
            await self._post(f"/{self.session}", {"janus": "destroy"})
        except (aiohttp.ClientError, RuntimeError):
            pass
        await self.pc.close()


async def run(args: argparse.Namespace) -> dict:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as http:
        subs = [Subscriber(http, args.janus, args.token, args.room, args.feed, args.substream) for _ in range(args.n)]
        for k in range(0, len(subs), 5):  # a few at a time: ICE + DTLS in Python are CPU-bound
            await asyncio.gather(*(s.start() for s in subs[k:k + 5]))
        await asyncio.wait_for(asyncio.gather(*(s.flowing.wait() for s in subs)), timeout=60)
        print(f"ready {len(subs)}", flush=True)
        loop = asyncio.get_running_loop()
        stdin_closed = loop.run_in_executor(None, sys.stdin.read)
        deadline = time.monotonic() + args.seconds
        while time.monotonic() < deadline and not stdin_closed.done():
            await asyncio.sleep(min(5, max(0.1, deadline - time.monotonic())))
            await asyncio.gather(*(s.keepalive() for s in subs), return_exceptions=True)
        result = {"clients": len(subs), "frames": sum(s.frames for s in subs),
                  "audio_frames": sum(s.audio for s in subs)}
        await asyncio.gather(*(s.close() for s in subs), return_exceptions=True)
        return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--janus", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--room", type=int, required=True)
    ap.add_argument("--feed", type=int, required=True)
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--substream", type=int, default=None)
    ap.add_argument("--seconds", type=float, default=120)
    print(json.dumps(asyncio.run(run(ap.parse_args()))), flush=True)


if __name__ == "__main__":
    main()
