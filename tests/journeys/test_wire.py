"""Weight on the wire: fingerprinted static URLs cached for a year, compressed for zstd, br and gzip clients, a
favicon, and compiled catalogues that are build outputs (not tracked)."""

from __future__ import annotations

import gzip
import re
import subprocess
from pathlib import Path

import brotli
import pytest
from backports import zstd

ROOT = Path(__file__).resolve().parents[2]


def _static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_pages_link_fingerprinted_static_files_served_immutable(client, make_event):
    event = make_event()
    urls = _static_urls(client.get(f"/e/{event.slug}/register").get_data(as_text=True))
    assert urls and all(re.search(r"\?v=[0-9a-f]{12}$", u) for u in urls), urls
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress),
                                                  ("zstd", zstd.decompress)])
def test_static_files_are_compressed_for_each_encoding(client, encoding, decode):
    plain = client.get("/static/css/app.css", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    response = client.get("/static/css/app.css", headers={"Accept-Encoding": encoding})
    assert response.headers["Content-Encoding"] == encoding and "Accept-Encoding" in response.headers["Vary"]
    assert decode(response.data) == plain.data and len(response.data) < len(plain.data) / 2


def test_gzip_only_client_and_q_zero(client):
    assert client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip, deflate"}).headers[
        "Content-Encoding"] == "gzip"
    assert client.get("/static/css/app.css", headers={"Accept-Encoding": "br;q=0, gzip"}).headers[
        "Content-Encoding"] == "gzip"


def test_unversioned_or_stale_url_revalidates_with_etag(client):
    response = client.get("/static/css/app.css")
    assert response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/app.css?v=000000000000").headers["Cache-Control"] == "no-cache"
    again = client.get("/static/css/app.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_module_imports_carry_the_fingerprint_of_what_they_import(client, app):
    with app.test_request_context():
        from flask import url_for

        common = url_for("static", filename="js/qa-common.js")
        attendee = url_for("static", filename="js/qa-attendee.js")
    body = client.get(attendee, headers={"Accept-Encoding": "identity"}).get_data(as_text=True)
    assert f'from "./qa-common.js?v={common.split("?v=")[1]}"' in body


@pytest.mark.parametrize("path", ["/static/../config.py", "/static/nope.css", "/static/%00.css"])
def test_static_bad_paths_are_404(client, path):
    assert client.get(path).status_code == 404


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_compiled_catalogues_are_build_outputs():
    tracked = subprocess.run(["git", "ls-files", "*.mo"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert tracked.stdout == ""
    for mo in ROOT.glob("eventhub/translations/*/LC_MESSAGES/messages.mo"):
        ignored = subprocess.run(["git", "check-ignore", "-q", str(mo)], cwd=ROOT, check=False)
        assert ignored.returncode == 0, f"{mo} is not ignored"
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: .*translations", makefile, re.M) and re.search(r"^test: .*translations", makefile, re.M)


def test_qa_page_revalidates_to_a_304_for_the_same_viewer(client, qa):
    first = client.get(f"/t/{qa.ticket}/qa/{qa.session.id}")
    assert first.status_code == 200 and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get(f"/t/{qa.ticket}/qa/{qa.session.id}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    assert "Set-Cookie" not in again.headers or "eventhub_ticket_" not in again.headers["Set-Cookie"]
    # Another viewer (no remembered ticket) does not match that copy.
    other = client.application.test_client().get(f"/qa/{qa.session.id}",
                                                  headers={"If-None-Match": first.headers["ETag"]})
    assert other.status_code == 200
