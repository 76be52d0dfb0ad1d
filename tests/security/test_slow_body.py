"""Issue 9 item 1: a client sending its body slowly must not hold a write lock (SQLite) or a row lock
(PostgreSQL) while the server waits for it; everyone else is served at once. Real gevent server, raw socket."""

from __future__ import annotations

import json
import socket
import time

import requests
from sqlalchemy import create_engine, text

from tests.security.conftest import LiveServer, wait_for

QUICK = 3.0  # seconds: far below SQLite's 30 s busy timeout, far above a normal request on this machine


def _start_slow_patch(server: LiveServer, body: bytes) -> socket.socket:
    """Sends the headers and the first half of the body of a token PATCH, then stops."""
    head = (f"PATCH /api/v1/events/{server.seed['event_id']} HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{server.port}\r\nAuthorization: Bearer {server.seed['slow_token']}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n")
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    sock.sendall(head.encode() + body[: len(body) // 2])
    return sock


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    status = int(data.split(b"\r\n", 1)[0].split()[1])
    return status, data.split(b"\r\n\r\n", 1)[1]


def test_a_slow_body_does_not_stop_anyone_else(live_server: LiveServer):
    seed = live_server.seed
    base, event_id = live_server.base_url, seed["event_id"]
    body = json.dumps({"venue": "CICB, Bamako"}).encode()
    slow = _start_slow_patch(live_server, body)
    try:
        # For a second and a half, the same token, read-only (its usage write used to queue behind the slow
        # request's lock: a whole-process freeze on SQLite, a row lock on PostgreSQL) …
        started = time.monotonic()
        calls = 0
        while time.monotonic() - started < 1.5:
            listing = requests.get(f"{base}/api/v1/events/{event_id}/registrations",
                                   headers={"Authorization": f"Bearer {seed['slow_token']}"}, timeout=QUICK)
            assert listing.status_code == 200, listing.text[:500]
            calls += 1
        assert calls >= 3
        started = time.monotonic()
        # … a public write …
        registered = requests.post(f"{base}/api/v1/events/{event_id}/registrations", timeout=QUICK, json={
            "name": "Aminata Traoré", "email": "aminata@example.org", "country": "ML", "mode": "in_person",
            "consent": True})
        assert registered.status_code == 201, registered.text[:500]
        # … and another token's write all complete while the slow body is still incomplete.
        room = requests.post(f"{base}/api/v1/events/{event_id}/rooms", json={"name": "Salle 2", "capacity": 40},
                             headers={"Authorization": f"Bearer {seed['quick_token']}"}, timeout=QUICK)
        assert room.status_code == 201, room.text[:500]
        assert time.monotonic() - started < QUICK
        slow.sendall(body[len(body) // 2:])
        status, payload = _read_response(slow)
    finally:
        slow.close()
    assert status == 200, payload[:500]
    assert json.loads(payload)["venue"] == "CICB, Bamako"
    # Usage is recorded for both tokens, read-only calls included.
    engine = create_engine(live_server.database_url)
    try:
        def stamped() -> bool:
            with engine.connect() as conn:
                rows = conn.execute(text("SELECT name, last_used_at FROM api_tokens")).all()
            return all(last_used is not None for _name, last_used in rows) and len(rows) == 2

        wait_for(stamped, what="last_used_at of both tokens")
    finally:
        engine.dispose()
