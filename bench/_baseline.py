"""The bare baseline server of bench.qa_fanout (run as `python -m bench.qa_fanout --baseline-server PORT`, which
patches gevent first, like eventhub): python-socketio under gevent's pywsgi, served the way `flask_socketio.run`
does it, with nothing of the app. `join` enters the room, `fire` broadcasts a given payload to it."""

from __future__ import annotations

from bench._swarm import NS


def serve_baseline(port: int) -> None:
    """python-socketio + gevent pywsgi, nothing else: `join` enters the room, `fire` broadcasts a payload to it."""
    import socketio
    from gevent import pywsgi

    sio = socketio.Server(async_mode="gevent", cors_allowed_origins=[])

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

    app = socketio.WSGIApp(sio, health)
    try:
        from geventwebsocket.handler import WebSocketHandler

        server = pywsgi.WSGIServer(("127.0.0.1", port), app, handler_class=WebSocketHandler, log=None)
        how = "gevent-websocket"
    except ImportError:  # what flask_socketio.run does without gevent-websocket: simple-websocket under pywsgi
        server = pywsgi.WSGIServer(("127.0.0.1", port), app, log=None)
        how = "simple-websocket"
    print(f"bare python-socketio on http://127.0.0.1:{port} (gevent, {how})", flush=True)
    server.serve_forever()
