"""`python -m eventhub` serves the app on 127.0.0.1:$PORT, HTTP and WebSocket in one process.

gevent by default (SOCKETIO_ASYNC_MODE); the monkey-patching has to happen before anything else is imported,
which is why it lives in this entry point and not in the package.
"""

import os

ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
if ASYNC_MODE == "gevent":
    from gevent import monkey

    monkey.patch_all()
    from psycogreen.gevent import patch_psycopg  # PostgreSQL through psycopg2 yields to other greenlets

    patch_psycopg()

from eventhub import create_app  # noqa: E402
from eventhub.extensions import socketio  # noqa: E402


def main() -> None:
    app = create_app()
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "5000"))
    print(f"EventHub on http://{host}:{port} ({ASYNC_MODE})", flush=True)
    socketio.run(
        app, host=host, port=port, log_output=os.environ.get("EVENTHUB_ACCESS_LOG") == "1",
        # threading mode runs Werkzeug's server: fine for measurements and development, not for production.
        allow_unsafe_werkzeug=ASYNC_MODE == "threading",
    )


if __name__ == "__main__":
    main()
