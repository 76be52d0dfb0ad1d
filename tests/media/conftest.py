"""Media tests. API-level tests (test_janus_api.py, test_pool.py…) need only a local Janus on 127.0.0.1
(tests/media/fixtures.py). Browser media tests (test_media_*.py) need the network namespace of
tests/media/harness.py: root, `ip netns`, Janus, coturn and Chromium, and EVENTHUB_TEST_MEDIA=1 (.ci/run sets it);
otherwise they are skipped with the reason."""

from tests.media.fixtures import janus_server, janus_setup  # noqa: F401 (fixtures)
