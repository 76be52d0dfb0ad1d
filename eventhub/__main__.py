"""`python -m eventhub` serves the app with gevent (WebSocket included) on 127.0.0.1:$PORT."""

from gevent import monkey

monkey.patch_all()

import os  # noqa: E402

try:  # PostgreSQL through psycopg2 cooperates with gevent once patched
    from psycogreen.gevent import patch_psycopg  # noqa: E402

    patch_psycopg()
except ImportError:  # pragma: no cover
    pass

from eventhub import create_app  # noqa: E402
from eventhub.extensions import socketio  # noqa: E402


def main() -> None:
    app = create_app()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"EventHub on http://{host}:{port}", flush=True)
    socketio.run(app, host=host, port=port, log_output=os.environ.get("EVENTHUB_ACCESS_LOG") == "1")


if __name__ == "__main__":
    main()
