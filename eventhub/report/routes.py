"""Organizer pages: report preview, issue and download versions, settings, live dashboard and its share links."""

from __future__ import annotations

from flask import Blueprint, Response, abort, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role
from eventhub.auth.permissions import event_role_required
from eventhub.core.db import on_commit
from eventhub.core.urls import external_url
from eventhub.core.web import perform
from eventhub.events.models import Event
from eventhub.extensions import db, limiter
from eventhub.report import dashboard, render, services, versions
from eventhub.report.data import checksum, collect
from eventhub.report.sockets import drop_share

bp = Blueprint("report", __name__)


def _lang() -> str:
    lang = request.values.get("lang", "fr")
    return lang if lang in render.LOCALES else "fr"


def _download(body: bytes, mimetype: str, filename: str) -> Response:
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"})


@bp.get("/manage/events/<int:event_id>/report")
@event_role_required(Role.ORGANIZER)
def preview(event_id: int):
    event, lang = g.event, _lang()
    data = collect(event)
    body = render.html(data, lang, template="report/_body.html")  # the same body the PDF is made from
    return render_template("report/preview.html", event=event, body=body, lang=lang, checksum=checksum(data),
                           versions=versions.versions_of(event), settings=services.settings_view(event),
                           locales=render.LOCALES)


@bp.get("/manage/events/<int:event_id>/report/draft.pdf")
@event_role_required(Role.ORGANIZER)
@limiter.limit("20 per minute")
def draft_pdf(event_id: int):
    lang = _lang()
    rendered = render.pdf(collect(g.event), lang)
    return _download(rendered.pdf, "application/pdf", f"report-{g.event.slug}-draft-{lang}.pdf")


@bp.get("/manage/events/<int:event_id>/report/draft.xlsx")
@event_role_required(Role.ORGANIZER)
@limiter.limit("20 per minute")
def draft_xlsx(event_id: int):
    lang = _lang()
    return _download(render.xlsx(collect(g.event), lang),
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"report-{g.event.slug}-draft-{lang}.xlsx")


@bp.post("/manage/events/<int:event_id>/report/issue")
@event_role_required(Role.ORGANIZER)
@limiter.limit("10 per minute")
def issue(event_id: int):
    event = g.event
    perform(lambda: versions.issue(event, request.form.get("lang", ""), by=current_user),
            _("A new version of the report was issued."))
    return redirect(url_for("report.preview", event_id=event.id, lang=_lang()))


@bp.get("/manage/events/<int:event_id>/report/versions/<int:version_id>.pdf")
@event_role_required(Role.ORGANIZER)
def version_pdf(event_id: int, version_id: int):
    v = versions.get_version(g.event, version_id)
    return _download(v.pdf, "application/pdf", f"report-{g.event.slug}-v{v.number}-{v.locale}.pdf")


@bp.get("/manage/events/<int:event_id>/report/versions/<int:version_id>.xlsx")
@event_role_required(Role.ORGANIZER)
def version_xlsx(event_id: int, version_id: int):
    v = versions.get_version(g.event, version_id)
    return _download(v.xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"report-{g.event.slug}-v{v.number}-{v.locale}.xlsx")


@bp.post("/manage/events/<int:event_id>/report/settings")
@event_role_required(Role.ORGANIZER)
def settings(event_id: int):
    event = g.event
    perform(lambda: services.update_settings(event, organizers=request.form.get("organizers", ""),
                                             partners=request.form.get("partners", "")), _("Saved."))
    return redirect(url_for("report.preview", event_id=event.id))


# --- live dashboard -------------------------------------------------------------------------------------------

@bp.get("/manage/events/<int:event_id>/dashboard")
@event_role_required(Role.ORGANIZER)
def live_dashboard(event_id: int):
    event = g.event
    shares = [(s, external_url("report.shared_dashboard", token=services.share_token(s)))
              for s in services.shares_of(event)]
    return render_template("report/dashboard.html", event=event, snap=dashboard.snapshot(event), shares=shares,
                           share_token=None)


@bp.post("/manage/events/<int:event_id>/dashboard/shares")
@event_role_required(Role.ORGANIZER)
def create_share(event_id: int):
    event = g.event
    perform(lambda: services.create_share(event, request.form.get("label", ""), by=current_user),
            _("Read-only link created."))
    return redirect(url_for("report.live_dashboard", event_id=event.id))


@bp.post("/manage/events/<int:event_id>/dashboard/shares/<int:share_id>/revoke")
@event_role_required(Role.ORGANIZER)
def revoke_share(event_id: int, share_id: int):
    event = g.event

    def revoke() -> None:
        services.revoke_share(event, share_id)
        on_commit(lambda: drop_share(share_id))

    perform(revoke, _("The link no longer works."))
    return redirect(url_for("report.live_dashboard", event_id=event.id))


@bp.get("/dashboard/<token>")
@limiter.limit("60 per minute")
def shared_dashboard(token: str):
    share = services.share_from_token(token)
    if share is None:
        abort(404)
    event = db.session.get(Event, share.event_id)
    if event is None:
        abort(404)
    return render_template("report/dashboard.html", event=event, snap=dashboard.snapshot(event), shares=None,
                           share_token=token)
