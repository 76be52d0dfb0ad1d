"""Rapporteurs: the organizer assigns them to sessions; they write summaries and recommendations.

The summary form works without JavaScript (a plain POST with the version it was based on); with JavaScript the
page autosaves to `summary_autosave` (JSON). A stale version is a 409 carrying both texts, never an overwrite.
"""

from __future__ import annotations

from typing import cast

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from eventhub.auth.models import Role, User
from eventhub.auth.permissions import event_role_required
from eventhub.core.errors import ValidationFailed
from eventhub.core.errors_web import json_view
from eventhub.core.web import FormErrors, perform
from eventhub.extensions import db, limiter
from eventhub.report import labels, services
from eventhub.report.services import RecommendationData, SummaryConflict
from eventhub.schedule.services import sessions_of

bp = Blueprint("report_rapporteur", __name__)
WRITERS = (Role.ORGANIZER, Role.RAPPORTEUR)


def _int(value: object) -> int | None:
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= services.MAX_ID else None


@bp.route("/manage/events/<int:event_id>/report/rapporteurs", methods=["GET", "POST"])
@event_role_required(Role.ORGANIZER)
def assign(event_id: int):
    event = g.event
    if request.method == "POST":
        session = services.get_session(event, _int(request.form.get("session_id")))
        user = db.session.get(User, _int(request.form.get("user_id")) or 0)
        if user is None:
            flash(_("Choose a rapporteur."), "error")
        else:
            perform(lambda: services.assign_rapporteur(session, user), _("Rapporteur assigned."))
        return redirect(url_for("report_rapporteur.assign", event_id=event.id))
    return render_template("report/rapporteurs.html", event=event,
                           sessions=sessions_of(event, include_cancelled=False),
                           choices=services.rapporteur_choices(event),
                           assigned=services.rapporteurs_by_session(event))


@bp.post("/manage/events/<int:event_id>/report/rapporteurs/<int:session_id>/<int:user_id>/remove")
@event_role_required(Role.ORGANIZER)
def unassign(event_id: int, session_id: int, user_id: int):
    session = services.get_session(g.event, session_id)
    perform(lambda: services.unassign_rapporteur(session, user_id), _("Rapporteur removed."))
    return redirect(url_for("report_rapporteur.assign", event_id=event_id))


@bp.get("/manage/events/<int:event_id>/rapporteur")
@event_role_required(*WRITERS)
def my_sessions(event_id: int):
    return render_template("report/my_sessions.html", event=g.event,
                           sessions=services.sessions_for_rapporteur(g.event, current_user))


def _editor(session, *, conflict: SummaryConflict | None = None, status: int = 200):  # noqa: ANN001, ANN202
    summary = services.summary_of(session)
    return render_template(
        "report/editor.html", event=g.event, session=session, summary=summary, conflict=conflict,
        questions=services.session_questions(session), recommendations=services.recommendations_of(session),
        domains=labels.DOMAINS, actors=labels.ACTORS, priorities=labels.PRIORITIES), status


def _conflict() -> FormErrors:
    """A stale save: rolled back, and the editor shows both texts (409); other refusals reach the error page."""
    return FormErrors(None, catch=(SummaryConflict,), quiet=("summary_conflict",))


@bp.route("/manage/events/<int:event_id>/rapporteur/<int:session_id>", methods=["GET", "POST"])
@event_role_required(*WRITERS)
def editor(event_id: int, session_id: int):
    session = services.get_session(g.event, session_id)
    services.check_may_write(current_user, session)
    if request.method == "POST":  # the no-JS save
        with _conflict() as refused:
            services.save_summary(session, request.form.get("text", ""), base_version=_int(request.form.get("version")),
                                  by=current_user)
            flash(_("Summary saved."), "success")
            return redirect(url_for("report_rapporteur.editor", event_id=event_id, session_id=session.id))
        return _editor(session, conflict=cast(SummaryConflict, refused.error), status=409)
    return _editor(session)


@bp.post("/manage/events/<int:event_id>/rapporteur/<int:session_id>/autosave")
@event_role_required(*WRITERS)
@limiter.limit("120 per minute")
@json_view
def summary_autosave(event_id: int, session_id: int):
    """JSON: {"text", "version"} → 200 {"version"} or 409 {"error", "current": {"text", "version", "by"}}."""
    session = services.get_session(g.event, session_id)
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ValidationFailed("invalid_payload", _("The message must be a JSON object."))
    # A SummaryConflict's envelope carries "current" (SummaryConflict.extra): the page shows both texts.
    summary = services.save_summary(session, body.get("text", ""), base_version=body.get("version"),
                                    by=current_user)
    return {"version": summary.version, "saved_at": summary.updated_at.isoformat()}


@bp.post("/manage/events/<int:event_id>/rapporteur/<int:session_id>/pull")
@event_role_required(*WRITERS)
def pull_question(event_id: int, session_id: int):
    session = services.get_session(g.event, session_id)
    with _conflict() as refused:
        services.pull_question(session, _int(request.form.get("question_id")),
                               base_version=_int(request.form.get("version")), by=current_user)
        flash(_("The question was added to the summary."), "success")
        return redirect(url_for("report_rapporteur.editor", event_id=event_id, session_id=session.id))
    return _editor(session, conflict=cast(SummaryConflict, refused.error), status=409)


@bp.post("/manage/events/<int:event_id>/rapporteur/<int:session_id>/recommendations")
@event_role_required(*WRITERS)
def add_recommendation(event_id: int, session_id: int):
    session = services.get_session(g.event, session_id)
    services.check_may_write(current_user, session)  # a refusal is a 403 page, not a flash
    form = request.form
    data = RecommendationData(title=form.get("title", ""), text=form.get("text", ""), domain=form.get("domain", ""),
                              actor=form.get("actor", ""), priority=form.get("priority", "medium"))
    perform(lambda: services.add_recommendation(session, data, by=current_user), _("Recommendation added."))
    return redirect(url_for("report_rapporteur.editor", event_id=event_id, session_id=session.id))


@bp.post("/manage/events/<int:event_id>/rapporteur/<int:session_id>/recommendations/<int:rec_id>/delete")
@event_role_required(*WRITERS)
def delete_recommendation(event_id: int, session_id: int, rec_id: int):
    session = services.get_session(g.event, session_id)
    services.check_may_write(current_user, session)
    perform(lambda: services.delete_recommendation(session, rec_id, by=current_user), _("Recommendation removed."))
    return redirect(url_for("report_rapporteur.editor", event_id=event_id, session_id=session.id))
