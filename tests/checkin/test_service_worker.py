"""The scanner's service worker names its cache from the assets' hash, so a deploy reaches every scanner."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from eventhub.checkin.routes import SW_ASSETS, assets_version

STATIC = Path(__file__).resolve().parents[2] / "static"


def test_the_worker_caches_every_scanner_asset_under_a_name_from_their_hash(app, client):
    text = client.get("/checkin/sw.js").get_data(as_text=True)
    assert "__VERSION__" not in text and "__ASSETS__" not in text
    name = re.search(r'const CACHE = "eventhub-checkin-([0-9a-f]{16})";', text)
    assert name is not None and name.group(1) == assets_version(app.static_folder)
    for asset in SW_ASSETS:  # fingerprinted URLs (eventhub.core.assets); the worker matches them ignoring ?v=
        assert re.search(rf'"/static/{re.escape(asset)}\?v=[0-9a-f]+"', text), asset
    assert re.search(r'"/static/js/checkin-judge\.js\?v=', text)  # the offline judge is cached with the page


def test_changing_any_asset_changes_the_cache_name(tmp_path):
    copy = tmp_path / "static"
    for asset in (*SW_ASSETS, "js/checkin-sw.js"):
        (copy / asset).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(STATIC / asset, copy / asset)
    before = assets_version(str(copy))
    assert assets_version(str(copy)) == before  # stable between requests and workers
    for asset in ("js/checkin-judge.js", "css/checkin.css", "js/checkin-sw.js"):
        with (copy / asset).open("a") as f:
            f.write("\n")
        after = assets_version(str(copy))
        assert after != before, asset
        before = after
