"""The media test bench: a network namespace with Janus, coturn, the app and Chromium inside it.

Why a namespace: media must never leave the machine, and Janus 1.1 gathers no ICE candidates on a loopback
interface. Inside `ehm<pid>` there is a veth pair (v0, v1) with both ends in the namespace and no default route,
10.77.0.1/24 on v0, lo up; Janus enforces v0 for ICE and serves HTTP on 127.0.0.1; coturn listens and relays on
10.77.0.1 (Janus's sockets are bound to v0, so a relay on 127.0.0.1 could not reach it). Everything else (the app,
a static page server, Chromium) runs inside through `ip netns exec`. Chromium is started by Playwright through a
wrapper script that `ip netns exec`s it: Playwright talks to it over the inherited pipe, so the driver stays outside.

Weak links (this kernel has no netem): `shape()` puts an HTB class on lo for UDP (u32 protocol 17) at a rate, and an
nftables rule drops a random share of UDP (`numgen random mod 100 < N`). Local traffic inside the namespace goes
through lo, so this shapes every media leg (publisher and subscribers) — see docs/stage.md.
"""

from __future__ import annotations

import ctypes
import math
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import wave
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

from eventhub.media import launcher
from eventhub.media.janus import JanusServer

VETH_ADDR = "10.77.0.1"
TURN_PORT = 3478
CHROMIUM = os.environ.get("EVENTHUB_CHROMIUM", "/usr/lib/chromium/chromium")
TURNSERVER = "/usr/bin/turnserver"


def _run(*argv: str, check: bool = True, timeout: float = 15) -> subprocess.CompletedProcess:
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout, check=check)


def why_not() -> str | None:
    """The reason media tests cannot run here, or None."""
    if os.environ.get("EVENTHUB_TEST_MEDIA") != "1":
        return "media tests off: set EVENTHUB_TEST_MEDIA=1 (.ci/run does) to run Janus/coturn/Chromium in a netns"
    if os.geteuid() != 0:
        return "media tests need root to create a network namespace (ip netns add): skipped"
    for tool in ("ip", "tc", "nft"):
        if not shutil.which(tool):
            return f"media tests need `{tool}` (iproute2/nftables): skipped"
    if not launcher.janus_installed():
        return f"media tests need Janus ({launcher.JANUS_BIN}; apt-get install janus): skipped"
    if not os.access(TURNSERVER, os.X_OK):
        return f"media tests need coturn ({TURNSERVER}; apt-get install coturn): skipped"
    if not os.access(CHROMIUM, os.X_OK):
        return f"media tests need Chromium ({CHROMIUM}; apt-get install chromium): skipped"
    probe = f"ehmprobe{os.getpid()}"
    done = _run("ip", "netns", "add", probe, check=False)
    if done.returncode != 0:
        return f"cannot create a network namespace here ({done.stderr.strip()}): media tests skipped"
    _run("ip", "netns", "del", probe, check=False)
    return None


class Namespace:
    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"ehm{os.getpid()}"
        self.prefix = ["ip", "netns", "exec", self.name]
        self.shaped = False

    def create(self) -> Namespace:
        _run("ip", "netns", "del", self.name, check=False)  # a leftover of a killed run with our pid
        _run("ip", "netns", "add", self.name)
        ns = self.prefix
        _run(*ns, "ip", "link", "set", "lo", "up")
        _run(*ns, "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1")
        _run(*ns, "ip", "addr", "add", f"{VETH_ADDR}/24", "dev", "v0")
        _run(*ns, "ip", "link", "set", "v0", "up")
        _run(*ns, "ip", "link", "set", "v1", "up")
        return self

    def delete(self) -> None:
        _run("ip", "netns", "del", self.name, check=False)

    def exec(self, *argv: str, check: bool = True, timeout: float = 15) -> subprocess.CompletedProcess:
        return _run(*self.prefix, *argv, check=check, timeout=timeout)

    def popen(self, argv: list[str], *, log: Path, env: dict[str, str] | None = None,
              cwd: str | Path | None = None) -> subprocess.Popen:
        with log.open("ab") as out:
            return subprocess.Popen([*self.prefix, *argv], stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True, env=env, cwd=cwd)

    # --- weak link --------------------------------------------------------------------------------------------
    def shape(self, rate_kbit: int, drop_percent: int = 0, dev: str = "lo") -> None:
        """UDP on `dev` limited to `rate_kbit` (HTB, u32 match protocol 17) and `drop_percent` % dropped at random
        (nftables numgen). TCP (signalling, HTTP) is left alone."""
        self.unshape(dev)
        ns = self.prefix
        _run(*ns, "tc", "qdisc", "add", "dev", dev, "root", "handle", "1:", "htb", "default", "10")
        _run(*ns, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:10", "htb", "rate", "10gbit")
        _run(*ns, "tc", "class", "add", "dev", dev, "parent", "1:", "classid", "1:20", "htb",
             "rate", f"{rate_kbit}kbit", "ceil", f"{rate_kbit}kbit", "burst", "15k")
        _run(*ns, "tc", "qdisc", "add", "dev", dev, "parent", "1:20", "handle", "20:", "pfifo", "limit", "60")
        _run(*ns, "tc", "filter", "add", "dev", dev, "parent", "1:", "protocol", "ip", "prio", "1", "u32",
             "match", "ip", "protocol", "17", "0xff", "flowid", "1:20")
        if drop_percent:
            rules = ("table inet ehmweak {\n chain out {\n  type filter hook output priority 0; policy accept;\n"
                     f"  meta l4proto udp numgen random mod 100 < {int(drop_percent)} drop\n }}\n}}\n")
            subprocess.run([*ns, "nft", "-f", "-"], input=rules, text=True, capture_output=True, timeout=15,
                           check=True)
        self.shaped = True

    def unshape(self, dev: str = "lo") -> None:
        self.exec("tc", "qdisc", "del", "dev", dev, "root", check=False)
        self.exec("nft", "delete", "table", "inet", "ehmweak", check=False)
        self.shaped = False


@dataclass
class Coturn:
    secret: str
    port: int = TURN_PORT
    proc: subprocess.Popen | None = None

    @property
    def urls(self) -> list[str]:
        return [f"turn:{VETH_ADDR}:{self.port}?transport=udp", f"turn:{VETH_ADDR}:{self.port}?transport=tcp"]

    def start(self, ns: Namespace, work: Path) -> Coturn:
        argv = [TURNSERVER, "-n", "--use-auth-secret", f"--static-auth-secret={self.secret}", "--realm=eventhub",
                f"--listening-ip={VETH_ADDR}", f"--relay-ip={VETH_ADDR}", f"--listening-port={self.port}",
                f"--allowed-peer-ip={VETH_ADDR}", "--no-tls", "--no-dtls", "--no-cli", "--simple-log",
                "--min-port=49152", "--max-port=59999", f"--log-file={work / 'turnserver.log'}",
                f"--pidfile={work / 'turnserver.pid'}", "--no-stun-backward-compatibility"]
        self.proc = ns.popen(argv, log=work / "turnserver.stdout.log")
        return self


def start_janus(ns: Namespace, work: Path, name: str = "j1", http_port: int = 8088,
                admin_port: int = 7088, rtp_range: str = "20000-29999") -> tuple[launcher.JanusSetup, subprocess.Popen]:
    setup = launcher.JanusSetup(config_dir=str(work / f"janus-{name}"), name=name, http_port=http_port,
                                admin_port=admin_port, ice_enforce_list="v0", rtp_port_range=rtp_range,
                                session_timeout=15)
    launcher.write_config(setup)
    return setup, launcher.start(setup, ns.prefix)


def chromium_wrapper(ns: Namespace, work: Path) -> Path:
    """An executable that runs Debian's Chromium inside the namespace (Playwright's pipe fds are inherited)."""
    path = work / "chromium-in-netns"
    path.write_text(f"#!/bin/sh\nexec ip netns exec {ns.name} {CHROMIUM} \"$@\"\n")
    path.chmod(0o755)
    return path


# --- fake devices -----------------------------------------------------------------------------------------------

def make_y4m(path: Path, width: int = 640, height: int = 480, frames: int = 60, fps: int = 30) -> Path:
    """A moving pattern Chromium loops as the fake camera: colour bars with a white square sliding across
    (the encoder keeps producing real frames, and every frame differs)."""
    bars = [(235, 235, 235), (235, 235, 16), (16, 235, 235), (16, 235, 16), (235, 16, 235), (235, 16, 16),
            (16, 16, 235), (16, 16, 16)]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for k in range(frames):
            img = Image.new("RGB", (width, height))
            draw = ImageDraw.Draw(img)
            bar = width // len(bars)
            for i, colour in enumerate(bars):
                draw.rectangle([i * bar, 0, (i + 1) * bar, height], fill=colour)
            x = (k * (width - 80)) // max(1, frames - 1)
            draw.rectangle([x, height // 2 - 40, x + 80, height // 2 + 40], fill=(255, 255, 255))
            y, u, v = img.convert("YCbCr").split()
            out.write(b"FRAME\n")
            out.write(y.tobytes())
            out.write(u.resize((width // 2, height // 2)).tobytes())
            out.write(v.resize((width // 2, height // 2)).tobytes())
    return path


def make_wav(path: Path, freq: float = 440.0, seconds: float = 10.0, rate: int = 48000) -> Path:
    """A sine tone Chromium loops as the fake microphone."""
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        n = int(seconds * rate)
        w.writeframes(b"".join(struct.pack("<h", int(12000 * math.sin(2 * math.pi * freq * i / rate)))
                               for i in range(n)))
    return path


def chromium_args(y4m: Path, wav: Path) -> list[str]:
    return ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-quic", "--disable-sync", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={y4m}",
            f"--use-file-for-fake-audio-capture={wav}", "--autoplay-policy=no-user-gesture-required",
            "--disable-features=WebRtcHideLocalIpsWithMdns"]


def workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="eventhub-media-"))


# --- reaching inside from the test process ----------------------------------------------------------------------

_CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _enter_netns(name: str) -> None:
    """Move the CALLING THREAD into netns `name` (setns(2) on a net namespace affects one thread only)."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(fd, _CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns failed")
    finally:
        os.close(fd)


class Forwarder:
    """127.0.0.1:<port> here → host:port inside the namespace (one thread per connection, each inside the
    namespace), so the test process reaches Janus's API and the app server, which listen on the namespace's lo."""

    def __init__(self, ns: Namespace, target_port: int, target_host: str = "127.0.0.1") -> None:
        self.ns, self.target = ns, (target_host, target_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name=f"fwd-{target_port}").start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            _enter_netns(self.ns.name)
            upstream = socket.create_connection(self.target, timeout=10)
        except OSError:
            conn.close()
            return
        upstream.settimeout(None)
        conn.settimeout(None)

        def pump(src: socket.socket, dst: socket.socket) -> None:
            try:
                while data := src.recv(65536):
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        t.start()
        pump(conn, upstream)
        t.join(30)
        conn.close()
        upstream.close()

    def close(self) -> None:
        self._closed = True
        self.listener.close()


def outside_server(setup: launcher.JanusSetup, api: Forwarder, admin: Forwarder) -> JanusServer:
    """The JanusServer the test process uses (through forwarders); browsers use setup.url inside."""
    return JanusServer(name=setup.name, url=f"http://127.0.0.1:{api.port}/janus", api_secret=setup.api_secret,
                       admin_url=f"http://127.0.0.1:{admin.port}/admin", admin_secret=setup.admin_secret,
                       public_url=setup.url)
