"""Two real processes sharing PostgreSQL and a Redis message queue: a registration cancelled on A ends the
attendee's Q&A socket held by B at once (the periodic sweep is slowed to a minute here), and the reconnection is
refused with the reason (item 9, across processes)."""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
import socketio

from tests.live_server import CLUSTER_SKIP_REASON, PG_URL, REDIS_URL
from tests.security_live.conftest import WAIT

pytestmark = [pytest.mark.postgres, pytest.mark.skipif(not (PG_URL and REDIS_URL), reason=CLUSTER_SKIP_REASON)]


def test_cancelling_on_one_process_cuts_the_socket_on_the_other(live_cluster) -> None:
    a, b, fixture = live_cluster
    ticket, bystander_ticket = fixture["tickets"][0], fixture["tickets"][1]
    ended = threading.Event()
    holder = socketio.Client(reconnection=False, request_timeout=WAIT)
    holder.on("disconnect", lambda *args: ended.set(), namespace="/qa")
    holder.connect(b.base_url, transports=["websocket"], namespaces=["/qa"], auth={"ticket": ticket},
                   wait_timeout=WAIT)
    bystander = socketio.Client(reconnection=False, request_timeout=WAIT)
    bystander.connect(b.base_url, transports=["websocket"], namespaces=["/qa"], auth={"ticket": bystander_ticket},
                      wait_timeout=WAIT)
    try:
        assert holder.call("join", {"session_id": fixture["session_id"]}, namespace="/qa", timeout=WAIT)["ok"]
        with requests.Session() as http:  # the attendee cancels on A, from the ticket page
            page = http.get(f"{a.base_url}/t/{ticket}", timeout=WAIT)
            token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
            started = time.monotonic()
            r = http.post(f"{a.base_url}/t/{ticket}/cancel", data={"csrf_token": token, "confirm": "yes"},
                          allow_redirects=False,
                          timeout=WAIT)
            assert r.status_code == 302, r.text[:500]
            assert "/cancel" not in r.headers["Location"]  # cancelled, not sent back to the confirmation page
        assert ended.wait(5.0), "B kept the cancelled attendee's socket open"
        print(f"cut off on B {time.monotonic() - started:.3f} s after the cancel request on A")  # noqa: T201
        assert bystander.connected
        ack = bystander.call("join", {"session_id": fixture["session_id"]}, namespace="/qa", timeout=WAIT)
        assert ack["ok"] is True
    finally:
        holder.disconnect()
        bystander.disconnect()

    refused: dict = {}
    again = socketio.Client(reconnection=False, request_timeout=WAIT)
    again.on("connect_error", lambda data=None: refused.setdefault("data", data), namespace="/qa")
    with pytest.raises(socketio.exceptions.ConnectionError):
        again.connect(b.base_url, transports=["websocket"], namespaces=["/qa"], auth={"ticket": ticket},
                      wait_timeout=WAIT)
    deadline = time.monotonic() + WAIT
    while "data" not in refused and time.monotonic() < deadline:
        time.sleep(0.05)
    assert refused["data"]["data"]["code"] == "registration_cancelled"
