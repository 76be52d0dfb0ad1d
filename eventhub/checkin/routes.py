"""The scanner page (door staff) with its JSON calls, the organizer's check-in dashboard, the PWA files."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import time

from flask import Blueprint, Response, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.auth.services import has_role
from eventhub.checkin import queries, schemas, services
from eventhub.checkin.forms import PointForm, SettingsForm
from eventhub.core.body import parse_body
from eventhub.core.errors_web import json_view
from eventhub.core.web import perform
from eventhub.registration.services import get_registration

bp = Blueprint("checkin", __name__)

SCANNER_ROLES = (Role.ORGANIZER, Role.DOOR_STAFF)


def timed(payload: dict, started: float, status: int = 200):
    """JSON with the server-side time of the request (Server-Timing), which the benchmark reads."""
    ms = (time.perf_counter() - started) * 1000
    return payload, status, {"Server-Timing": f"app;dur={ms:.2f}", "Cache-Control": "no-store"}


# --- scanner page ---------------------------------------------------------------------------------------------

@bp.get("/checkin/events/<int:event_id>/scan")
@event_role_required(*SCANNER_ROLES)
def scanner(event_id: int):
    points = services.points_for(g.event)  # a GET never writes: the first point is opened by a POST (open_door)
    return render_template("checkin/scanner.html", event=g.event, points=points,
                           is_organizer=has_role(current_user, g.event, Role.ORGANIZER))


@bp.post("/checkin/events/<int:event_id>/scan/open")
@event_role_required(*SCANNER_ROLES)
def open_door(event_id: int):
    """The scanner of an event without a check-in point opens its main entrance (a write, so a POST)."""
    services.ensure_default_point(g.event)
    return redirect(url_for("checkin.scanner", event_id=event_id))


@bp.post("/checkin/events/<int:event_id>/scan")
@event_role_required(*SCANNER_ROLES)
@json_view
def scan(event_id: int):
    started = time.perf_counter()
    body = parse_body(schemas.ScanIn)
    point = services.get_point(g.event, body.point_id)
    result = services.check_in(body.code, by=current_user, point=point, nonce=body.nonce,
                               device_id=body.device_id)
    return timed(result.to_dict(), started)


@bp.post("/checkin/events/<int:event_id>/sync")
@event_role_required(*SCANNER_ROLES)
@json_view
def sync(event_id: int):
    body = parse_body(schemas.SyncIn)
    results = services.sync_offline(g.event, [services.OfflineScan(**s.model_dump()) for s in body.scans],
                                    by=current_user, **services.offline_limits(current_app.config))
    return {"results": results}


@bp.get("/checkin/events/<int:event_id>/snapshot")
@event_role_required(*SCANNER_ROLES)
@json_view
def snapshot(event_id: int):
    data = queries.snapshot(g.event)
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    etag = hashlib.sha256(body.encode()).hexdigest()[:32]
    headers = {"ETag": f'"{etag}"', "Cache-Control": "no-store"}
    if request.headers.get("If-None-Match") == f'"{etag}"':
        return Response(status=304, headers=headers)
    return Response(body, mimetype="application/json", headers=headers)


@bp.get("/checkin/events/<int:event_id>/search")
@event_role_required(*SCANNER_ROLES)
@json_view
def search(event_id: int):
    return {"items": queries.search(g.event, request.args.get("q", ""))}


@bp.post("/checkin/events/<int:event_id>/registrations/<int:registration_id>/checkin")
@event_role_required(*SCANNER_ROLES)
@json_view
def checkin_registration(event_id: int, registration_id: int):
    body = parse_body(schemas.RegistrationCheckInIn)
    registration = get_registration(g.event, registration_id)
    point = services.get_point(g.event, body.point_id)
    result = services.check_in_registration(registration, by=current_user, point=point, nonce=body.nonce)
    return result.to_dict()


# --- PWA: manifest and service worker (public: they hold nothing but static text) -----------------------------

@bp.get("/checkin/manifest.webmanifest")
def manifest():
    data = {
        "name": "EventHub — " + _("Door check-in"), "short_name": _("Check-in"),
        "start_url": request.args.get("start", "/checkin/")[:200] if request.args.get("start", "").startswith(
            "/checkin/") else "/checkin/",
        "scope": "/checkin/", "display": "standalone", "background_color": "#ffffff", "theme_color": "#14532d",
        "icons": [{"src": url_for("static", filename="img/checkin-icon.svg"), "sizes": "any",
                   "type": "image/svg+xml", "purpose": "any"}],
    }
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/manifest+json")


# What the scanner needs offline; the service worker's cache is named from their content.
SW_ASSETS = ("css/app.css", "css/checkin.css", "js/checkin-scanner.js", "js/checkin-judge.js", "js/localtime.js",
             "vendor/jsqr/jsQR.js", "img/checkin-icon.svg")


def assets_version(static_folder: str, assets: tuple[str, ...] = SW_ASSETS) -> str:
    """A hash of the assets' names and bytes (and the worker's own code): it changes with any deploy that does."""
    digest = hashlib.sha256()
    for name in (*assets, "js/checkin-sw.js"):
        digest.update(name.encode() + b"\0")
        with open(os.path.join(static_folder, name), "rb") as f:
            digest.update(f.read())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


@bp.get("/checkin/sw.js")
def service_worker():
    static_folder = str(current_app.static_folder)
    with open(os.path.join(static_folder, "js", "checkin-sw.js"), encoding="utf-8") as f:
        text = f.read()
    urls = [url_for("static", filename=name) for name in SW_ASSETS]
    text = text.replace("__ASSETS__", json.dumps(urls)).replace("__VERSION__", assets_version(static_folder))
    response = Response(text, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = "/checkin/"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- organizer ------------------------------------------------------------------------------------------------

@bp.get("/manage/events/<int:event_id>/checkin")
@event_role_required(Role.ORGANIZER)
def dashboard(event_id: int):
    return render_template(
        "checkin/dashboard.html", event=g.event, counters=queries.counters(g.event),
        points=services.points_for(g.event), checkins=queries.live_checkins(g.event, limit=100),
        doubles=queries.log(g.event, double_only=True, limit=100), scans=queries.log(g.event, limit=50),
        point_form=PointForm(), settings_form=SettingsForm(remote_upgrade=services.remote_upgrade_allowed(g.event)),
    )


@bp.post("/manage/events/<int:event_id>/checkin/points")
@event_role_required(Role.ORGANIZER)
def add_point(event_id: int):
    form = PointForm()
    if form.validate_on_submit():
        perform(lambda: services.add_point(g.event, form.name.data, kind=form.kind.data,
                                           agenda_session_id=form.agenda_session_id.data,
                                           requires_entry=bool(form.requires_entry.data)),
                _("Check-in point added."))
    else:
        flash(_("Give the check-in point a name (at most 100 characters)."), "error")
    return redirect(url_for("checkin.dashboard", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/checkin/points/<int:point_id>/archive")
@event_role_required(Role.ORGANIZER)
def archive_point(event_id: int, point_id: int):
    point = services.get_point(g.event, point_id)  # an unknown point is a 404, not a flash
    perform(lambda: services.archive_point(point), _("Check-in point closed."))
    return redirect(url_for("checkin.dashboard", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/checkin/settings")
@event_role_required(Role.ORGANIZER)
def settings(event_id: int):
    form = SettingsForm()
    if form.validate_on_submit():
        services.set_remote_upgrade(g.event, bool(form.remote_upgrade.data))
        flash(_("Changes saved."), "success")
    return redirect(url_for("checkin.dashboard", event_id=event_id))


@bp.post("/manage/events/<int:event_id>/checkin/<int:checkin_id>/undo")
@event_role_required(Role.ORGANIZER)
def undo(event_id: int, checkin_id: int):
    checkin = services.get_checkin(g.event, checkin_id)
    perform(lambda: services.undo_checkin(checkin, by=current_user),
            _("Check-in undone; the ticket can be scanned again."))
    return redirect(url_for("checkin.dashboard", event_id=event_id))


LOG_COLUMNS = ["id", "scanned_at", "received_at", "point", "by", "device_id", "result", "detail", "offline",
               "double_entry", "registration_id", "name", "code_prefix", "checkin_id", "undone"]


def _csv_safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@bp.get("/manage/events/<int:event_id>/checkin/log.csv")
@event_role_required(Role.ORGANIZER)
def log_csv(event_id: int):
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(LOG_COLUMNS)
    for scan_row in queries.log(g.event, limit=None):
        out = queries.scan_out(scan_row)
        writer.writerow([_csv_safe(out[c]) for c in LOG_COLUMNS])
    return Response("\ufeff" + buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="checkin-{g.event.slug}.csv"'})
