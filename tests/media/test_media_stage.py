"""End to end on the stage's own pages, in the namespace: the real app (gevent), Janus, coturn, Chromium with
fake devices. The pages and their `window.eventhubStage` hook are the stage area's (templates/stage/,
static/js/stage-*.js); these tests drive them as the people in the hall and at home would."""

from __future__ import annotations

import pytest
import requests

from tests.media.conftest import MediaApp

pytestmark = pytest.mark.media


def test_stage_pages_are_served_with_janus_in_their_csp(media_app: MediaApp) -> None:
    seed = media_app.seed
    r = requests.get(f"{media_app.outside_url}/stage/{seed['session_id']}/screen",
                     params={"key": seed["screen_key"]}, timeout=10)
    assert r.status_code == 200
    assert "http://127.0.0.1:8088" in r.headers["Content-Security-Policy"]
    assert requests.get(f"{media_app.outside_url}/stage/{seed['session_id']}/screen", params={"key": "wrong"},
                        timeout=10).status_code == 404
