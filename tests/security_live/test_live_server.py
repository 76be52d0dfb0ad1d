"""Against a real `python -m eventhub` (gevent): WebSocket origin, connection refusals with a reason, malformed raw
Socket.IO frames and client-sent reserved events, and the log after websockets close (issue 9, items 4, 12, 16, 17).
"""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time

import pytest
import requests
import socketio
import websocket

from tests.live_server import login_cookie
from tests.security_live.conftest import WAIT, LiveServer

FOREIGN = "http://evil.example"


def _ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"


def _client(base_url: str, namespace: str, *, auth: dict | None = None, headers: dict | None = None,
            origin: str | None = None):
    """Connect a python-socketio client; returns (client or None, the connect_error data or None).

    `origin`: the Origin header a browser on that site would send (websocket-client sends the server's own
    origin otherwise)."""
    sio = socketio.Client(reconnection=False, request_timeout=WAIT,
                          websocket_extra_options={"origin": origin} if origin else {})
    refused: dict = {}
    done = threading.Event()

    @sio.on("connect_error", namespace=namespace)
    def _refused(data=None):  # noqa: ANN001, ANN202
        refused["data"] = data
        done.set()

    try:
        sio.connect(base_url, transports=["websocket"], namespaces=[namespace], auth=auth or {},
                    headers=headers or {}, wait_timeout=WAIT)
    except socketio.exceptions.ConnectionError as exc:
        done.wait(2)
        sio.disconnect()
        data = refused.get("data")
        return None, data if isinstance(data, dict) else {"transport": str(exc)}
    return sio, None


# --- item 4: origin ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("namespace", ["/qa", "/checkin", "/greenroom"])
def test_foreign_origin_with_an_organizers_cookie_is_refused(live_server: LiveServer, namespace: str) -> None:
    cookie = login_cookie(live_server.base_url, live_server.moderator_email, live_server.moderator_password)
    sio, refused = _client(live_server.base_url, namespace, headers={"Cookie": cookie}, origin=FOREIGN)
    assert sio is None
    assert "transport" in refused  # refused at the handshake, before any namespace: HTTP 400


def test_own_origin_connects_and_the_foreign_one_cannot_change_settings(live_server: LiveServer) -> None:
    cookie = login_cookie(live_server.base_url, live_server.moderator_email, live_server.moderator_password)
    sio, refused = _client(live_server.base_url, "/qa", headers={"Cookie": cookie},
                          origin=live_server.base_url)
    assert refused is None
    try:
        ack = sio.call("join", {"session_id": live_server.session_id}, namespace="/qa", timeout=WAIT)
        assert ack["ok"] is True and "snapshot" in ack["data"]
    finally:
        sio.disconnect()


# --- item 12: refusals say why ----------------------------------------------------------------------------------

def test_refused_qa_connection_says_why(live_server: LiveServer) -> None:
    sio, refused = _client(live_server.base_url, "/qa", auth={"ticket": "EH1.not-a-ticket"})
    assert sio is None
    assert refused["data"]["code"] == "invalid_ticket"
    assert refused["data"]["message"] and refused["message"] == refused["data"]["message"]
    sio, refused = _client(live_server.base_url, "/qa", auth={"participant": "forged"})
    assert sio is None and refused["data"]["code"] == "invalid_participant"
    sio, refused = _client(live_server.base_url, "/qa", auth={"panelist_token": "forged"})
    assert sio is None and refused["data"]["code"] == "invalid_link"


def test_refused_checkin_and_greenroom_connections_say_why(live_server: LiveServer) -> None:
    sio, refused = _client(live_server.base_url, "/checkin", auth={"event_id": 1})
    assert sio is None and refused["data"]["code"] == "not_signed_in"
    sio, refused = _client(live_server.base_url, "/greenroom", auth={"token": "forged"})
    assert sio is None and refused["data"]["code"] == "invalid_link"
    sio, refused = _client(live_server.base_url, "/greenroom")
    assert sio is None and refused["data"]["code"] == "not_signed_in"


# --- items 16 and 17: raw frames and the log ------------------------------------------------------------------

class RawSocket:
    """A websocket speaking Engine.IO/Socket.IO by hand, to send frames no well-behaved client would."""

    def __init__(self, base_url: str, namespace: str = "/qa", auth: dict | None = None) -> None:
        self.ws = websocket.create_connection(_ws_url(base_url), timeout=WAIT)
        opening = self.ws.recv()
        assert opening.startswith("0"), opening
        self.namespace = namespace
        self.ws.send(f"40{namespace},{json.dumps(auth or {})}")
        self.expect(lambda m: m.startswith(f"40{namespace},"))

    def expect(self, match, timeout: float = WAIT) -> str:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = self.ws.recv()
            if message == "2":  # Engine.IO ping
                self.ws.send("3")
                continue
            if match(message):
                return message
        raise AssertionError("no matching frame")

    def call(self, ack_id: int, event: str, payload: object) -> list:
        self.ws.send(f"42{self.namespace},{ack_id}" + json.dumps([event, payload]))
        frame = self.expect(lambda m: m.startswith(f"43{self.namespace},{ack_id}["))
        return json.loads(frame[len(f"43{self.namespace},{ack_id}"):])

    def close(self) -> None:
        self.ws.close()


MALFORMED = [
    "42/qa,[",  # broken JSON
    '42/qa,{"a":',
    "42/qa,[]",  # no event name
    "42/qa,[1,2]",  # numeric event name
    "42/qa,[null]",
    '42/qa,[{"x":1}]',
    "42/qa,7[true]",
    "42/qa," + "[" * 5000 + "]" * 5000,  # deep nesting
    '42/qa,["join",' + "[" * 5000 + "]" * 5000 + "]",
    "4" + "9" * 40,
    "4x",
    "42/nowhere,[\"join\",{}]",
    "43/qa,99[]",  # an ack nobody asked for
]


def test_malformed_frames_leave_no_traceback_and_reserved_events_are_ignored(live_server: LiveServer) -> None:
    start = live_server.log_size()
    raw = RawSocket(live_server.base_url, auth={"ticket": live_server.tickets[0]})
    try:
        for frame in MALFORMED:
            raw.ws.send(frame)
        # Client-sent reserved events: a `disconnect` must not end the server's record of the connection, a
        # `connect` must not re-authenticate it (here: as nobody).
        raw.ws.send('42/qa,["disconnect","client namespace disconnect"]')
        raw.ws.send('42/qa,["connect",{}]')
        ack = raw.call(1, "join", {"session_id": live_server.session_id})
        assert ack[0]["ok"] is True, ack
        ack = raw.call(2, "ask", {"session_id": live_server.session_id, "text": "Toujours là ?"})
        assert ack[0]["ok"] is True, ack
    finally:
        raw.close()
    # Every frame was read (the acks above came after them); give the log a moment to be written.
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and "Traceback" not in live_server.log_since(start):
        time.sleep(0.1)
    log = live_server.log_since(start)
    assert "Traceback" not in log, log[-4000:]
    assert "failed" not in log.lower(), log[-4000:]


def test_closing_websockets_does_not_log_invalid_http_method(live_server: LiveServer) -> None:
    start = live_server.log_size()
    for k in range(20):
        if k % 2:
            sio, _ = _client(live_server.base_url, "/qa")  # python-socketio: "41", then the closing handshake
            sio.disconnect()
        else:
            raw = RawSocket(live_server.base_url)
            raw.ws.send("41/qa,")
            raw.ws.close()  # the closing handshake, as a browser leaving the page
    # An ordinary request after them, so the server has surely handled every close before we read the log.
    assert requests.get(live_server.base_url + "/healthz", timeout=WAIT).status_code == 200
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and "Invalid HTTP method" not in live_server.log_since(start):
        time.sleep(0.1)
    log = live_server.log_since(start)
    assert "Invalid HTTP method" not in log, log[-4000:]
    assert "Expected GET method" not in log, log[-4000:]
    assert "Traceback" not in log, log[-4000:]


def test_a_real_bad_request_is_still_logged(live_server: LiveServer) -> None:
    """Only the bytes after a WebSocket are no longer parsed as a request: garbage on a fresh connection is."""
    start = live_server.log_size()
    with socket.create_connection(("127.0.0.1", live_server.proc.port), timeout=WAIT) as s:
        s.sendall(b"\x88\x82garbage\r\n\r\n")
        s.recv(1024)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and "Invalid HTTP method" not in live_server.log_since(start):
        time.sleep(0.1)
    assert "Invalid HTTP method" in live_server.log_since(start)


# --- item 9: the periodic sweep of a real server ---------------------------------------------------------------

def test_the_servers_sweep_ends_a_ticket_revoked_outside_the_app(live_server: LiveServer) -> None:
    """No signal here (a SQL console revokes the ticket): the sweep loop (every 0.5 s in this server) does it."""
    ticket = live_server.tickets[3]
    ended = threading.Event()
    sio = socketio.Client(reconnection=False, request_timeout=WAIT)
    sio.on("disconnect", lambda *args: ended.set(), namespace="/qa")
    sio.connect(live_server.base_url, transports=["websocket"], namespaces=["/qa"], auth={"ticket": ticket},
                wait_timeout=WAIT)
    try:
        assert sio.call("join", {"session_id": live_server.session_id}, namespace="/qa", timeout=WAIT)["ok"]
        assert not ended.wait(1.5)  # two sweeps: a live ticket stays connected
        with sqlite3.connect(live_server.database, timeout=10) as db:
            db.execute("UPDATE tickets SET revoked_at = CURRENT_TIMESTAMP, revoked_reason = 'console' "
                       "WHERE code = ?", (ticket,))
        assert ended.wait(5.0), "the sweep did not end the revoked ticket's connection"
    finally:
        sio.disconnect()
