"""Static files with a content fingerprint in their URL, cached for a year, compressed once per encoding.

`url_for("static", filename="css/app.css")` gives `/static/css/app.css?v=<12 hex of sha256>`; that URL never
changes content, so it is served with `Cache-Control: public, max-age=31536000, immutable` and a repeat visit asks
for nothing. JavaScript modules' relative imports (`from "./qa-common.js"`) are rewritten to carry their own
fingerprint, so a change in an imported module changes the importer's fingerprint too. A URL without (or with a
stale) fingerprint still works, with `Cache-Control: no-cache` and an ETag (a 304 on revalidation): the check-in
service worker precaches plain names and matches with `ignoreSearch`, so it keeps working offline.

The fingerprint is a query parameter rather than part of the file name for that reason: the service worker (issue
8's offline scanner) caches by path. Bodies are compressed in memory once (zstd, br, gzip) and re-read when the
file's modification time changes.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from backports import zstd
from flask import Flask, Response, abort, request, url_for

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "image/svg+xml", "application/json",
                "text/plain"}
MIN_COMPRESS = 500
ENCODINGS = ("zstd", "br", "gzip")
_IMPORT = re.compile(r"""((?:\bfrom|\bimport)\s*\(?\s*)(["'])(\./[A-Za-z0-9_./-]+\.js)\2""")


@dataclass
class Asset:
    stamp: tuple[tuple[str, float], ...]  # (file, mtime) of the file and of the modules it imports
    body: bytes
    digest: str
    mimetype: str
    encoded: dict[str, bytes] = field(default_factory=dict)

    def body_for(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.body
        if encoding not in self.encoded:
            if encoding == "zstd":
                self.encoded[encoding] = zstd.compress(self.body, 19)
            elif encoding == "br":
                self.encoded[encoding] = brotli.compress(self.body, quality=11)
            else:
                self.encoded[encoding] = gzip.compress(self.body, 9, mtime=0)
        return self.encoded[encoding]


class Assets:
    def __init__(self, folder: str) -> None:
        self.folder = Path(folder).resolve()
        self._cache: dict[str, Asset] = {}

    def _path(self, filename: str) -> Path | None:
        if not filename or "\x00" in filename or len(filename) > 300:
            return None
        path = (self.folder / filename).resolve()
        if self.folder not in path.parents or not path.is_file():
            return None
        return path

    def _fresh(self, asset: Asset) -> bool:
        for name, mtime in asset.stamp:
            path = self._path(name)
            if path is None or path.stat().st_mtime != mtime:
                return False
        return True

    def get(self, filename: str, _seen: frozenset[str] = frozenset()) -> Asset | None:
        cached = self._cache.get(filename)
        if cached is not None and self._fresh(cached):
            return cached
        path = self._path(filename)
        if path is None:
            return None
        stamp = [(filename, path.stat().st_mtime)]
        body = path.read_bytes()
        if filename.endswith(".js"):
            body = self._rewrite_imports(filename, body, _seen | {filename}, stamp)
        mimetype = "text/javascript" if filename.endswith(".js") else (
            mimetypes.guess_type(filename)[0] or "application/octet-stream")
        asset = Asset(tuple(stamp), body, hashlib.sha256(body).hexdigest()[:12], mimetype)
        self._cache[filename] = asset
        return asset

    def _rewrite_imports(self, filename: str, body: bytes, seen: frozenset[str],
                         stamp: list[tuple[str, float]]) -> bytes:
        base = os.path.dirname(filename)

        def versioned(match: re.Match[str]) -> str:
            target = os.path.normpath(os.path.join(base, match.group(3))).replace(os.sep, "/")
            dep = self.get(target, seen) if target not in seen else None
            if dep is not None:
                stamp.extend(dep.stamp)
            spec = f"{match.group(3)}?v={dep.digest}" if dep is not None else match.group(3)
            return f"{match.group(1)}{match.group(2)}{spec}{match.group(2)}"

        return _IMPORT.sub(versioned, body.decode("utf-8")).encode("utf-8")


def _choose_encoding(accept: str) -> str | None:
    """The best of zstd, br, gzip the client accepts (q > 0), or None."""
    accepted: set[str] = set()
    for part in accept.lower().split(","):
        name, _sep, params = part.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _eq, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name and q > 0:
            accepted.add(name)
    return next((e for e in ENCODINGS if e in accepted or "*" in accepted), None)


def register(app: Flask) -> None:
    assets = Assets(app.static_folder or "static")
    app.extensions["eventhub_assets"] = assets

    @app.url_defaults
    def fingerprint(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "v" not in values and isinstance(values.get("filename"), str):
            asset = assets.get(values["filename"])
            if asset is not None:
                values["v"] = asset.digest

    def serve(filename: str) -> Response:
        asset = assets.get(filename)
        if asset is None:
            abort(404)
        etag = f'"{asset.digest}"'
        headers = {"ETag": etag, "Vary": "Accept-Encoding", "X-Content-Type-Options": "nosniff",
                   "Cache-Control": IMMUTABLE if request.args.get("v") == asset.digest else REVALIDATE}
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers=headers)
        encoding = (_choose_encoding(request.headers.get("Accept-Encoding", ""))
                    if asset.mimetype in COMPRESSIBLE and len(asset.body) >= MIN_COMPRESS else None)
        if encoding is not None:
            headers["Content-Encoding"] = encoding
        return Response(asset.body_for(encoding), mimetype=asset.mimetype, headers=headers)

    app.view_functions["static"] = serve

    @app.get("/favicon.ico")
    def favicon() -> Response:
        """Browsers ask for it on every first visit: the SVG icon, not a 404."""
        asset = assets.get("img/favicon.svg")
        if asset is None:
            abort(404)
        return Response(asset.body, mimetype="image/svg+xml", headers={"Cache-Control": "public, max-age=86400"})

    app.jinja_env.globals["favicon_url"] = lambda: url_for("static", filename="img/favicon.svg")
