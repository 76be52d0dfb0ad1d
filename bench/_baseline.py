"""The bare baseline server of bench.qa_fanout (run as `python -m bench.qa_fanout --baseline-server PORT`, which
patches gevent first, like eventhub): python-socketio under gevent's pywsgi, served the way `flask_socketio.run`
does it, with nothing of the app. `join` enters the room, `fire` broadcasts a given payload to it.

With a channel (`--processes N`, the scale-out layout) the server shares python-socketio's own `RedisManager` on
that channel with the other bare processes, as eventhub's processes share theirs (SOCKETIO_MESSAGE_QUEUE)."""

from __future__ import annotations

import socket

from bench._swarm import NS

APP_CHANNEL = "eventhub"  # the app's default channel, which the test suites use: never a bench's


def serve_baseline(port: int, redis_url: str | None = None, channel: str | None = None) -> None:
    """python-socketio + gevent pywsgi, nothing else: `join` enters the room, `fire` broadcasts a payload to it."""
    import socketio
    from gevent import pywsgi

    manager = None
    if channel:
        if channel == APP_CHANNEL or not redis_url:
            raise SystemExit(f"the bare server needs a Redis URL and a channel of its own (got {channel!r})")
        manager = socketio.RedisManager(redis_url, channel=channel)
    sio = socketio.Server(async_mode="gevent", cors_allowed_origins=[], client_manager=manager)

    @sio.on("join", namespace=NS)
    def join(sid, payload):  # noqa: ANN001, ANN202
        sio.enter_room(sid, f"qa:{payload['session_id']}", namespace=NS)
        return {"ok": True, "data": {"seq": 0, "snapshot": {}}}

    @sio.on("fire", namespace=NS)
    def fire(sid, payload):  # noqa: ANN001, ANN202
        for data in payload["messages"]:  # one action can change several questions (pin unpins the other)
            sio.emit(payload["event"], data, to=payload["room"], namespace=NS)
        return {"ok": True}

    def health(environ, start_response):  # noqa: ANN001, ANN202
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    class NoDelayServer(pywsgi.WSGIServer):
        """TCP_NODELAY on every connection, as `python -m eventhub` serves (eventhub/__main__.py): the same
        transport on both sides of the comparison."""

        def handle(self, sock, address):  # noqa: ANN001, ANN202
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle(sock, address)

    app = socketio.WSGIApp(sio, health)
    server = NoDelayServer(("127.0.0.1", port), app, log=None)  # WebSocket through simple-websocket, as eventhub
    queue = f", RedisManager on channel {channel!r}" if channel else ""
    print(f"bare python-socketio on http://127.0.0.1:{port} (gevent, simple-websocket{queue})", flush=True)
    server.serve_forever()
