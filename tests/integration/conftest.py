"""Integration fixtures: two real `python -m eventhub` processes sharing PostgreSQL and a Redis message queue.

Skipped unless EVENTHUB_TEST_DATABASE_URL (PostgreSQL) and EVENTHUB_TEST_REDIS_URL are both set (CI sets them).
The database `eventhub_integration` is dropped and re-created on that PostgreSQL server; the schema comes from
`flask --app wsgi db upgrade`, the fixtures from `tests/integration/seed_qa.py` (the app's services, in a child
process). The message queue uses Redis database INTEGRATION_REDIS_DB of the same server and a channel of its own
(pub/sub channels are server-wide, whatever the database number), so concurrent runs do not hear each other.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.live_server import (
    CLUSTER_SKIP_REASON,
    INTEGRATION_REDIS_DB,
    PG_URL,
    REDIS_URL,
    AppProcess,
    migrate_and_seed,
    redis_url_with_db,
    scrubbed_env,
)

DB_NAME = "eventhub_integration"


@dataclass
class Cluster:
    a: AppProcess
    b: AppProcess
    session_id: int
    moderator_email: str
    moderator_password: str
    tickets: list[str]
    database_url: str
    message_queue: str


@pytest.fixture(scope="module")
def qa_cluster() -> Iterator[Cluster]:
    if not (PG_URL and REDIS_URL):
        pytest.skip(CLUSTER_SKIP_REASON)
    import redis

    from tests.conftest import fresh_postgres_database

    queue = redis_url_with_db(REDIS_URL, INTEGRATION_REDIS_DB)
    try:
        redis.Redis.from_url(queue, socket_timeout=5, socket_connect_timeout=5).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis at {REDIS_URL} is not reachable: {exc}")
    database_url = fresh_postgres_database(PG_URL, DB_NAME)
    work = Path(tempfile.mkdtemp(prefix="eventhub-integration-"))
    env = scrubbed_env()
    env.update(DATABASE_URL=database_url, SOCKETIO_MESSAGE_QUEUE=queue, SOCKETIO_ASYNC_MODE="gevent",
               SOCKETIO_CHANNEL=f"eventhub-integration-{os.getpid()}",
               EVENTHUB_INSTANCE_DIR=str(work), EVENTHUB_CONFIG="development", HOST="127.0.0.1",
               SECRET_KEY="integration-secret-key-not-for-production", PYTHONUNBUFFERED="1")
    fixture = migrate_and_seed(env, "tests.integration.seed_qa")

    a, b = AppProcess("A", env, work), AppProcess("B", env, work)
    try:
        a.start()
        b.start()
        yield Cluster(a=a, b=b, session_id=fixture["session_id"], moderator_email=fixture["moderator_email"],
                      moderator_password=fixture["moderator_password"], tickets=fixture["tickets"],
                      database_url=database_url, message_queue=queue)
    finally:
        a.stop()
        b.stop()
