"""Rapporteurs, summaries (optimistic concurrency), recommendations, report settings and dashboard shares."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from eventhub.auth.models import EventRole, Role, User
from eventhub.auth.services import has_role
from eventhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, strip_control
from eventhub.core.ids import MAX_ID as MAX_ID  # re-exported: callers use services.*
from eventhub.core.ids import valid_id as valid_id
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.qa.models import Question
from eventhub.report.data import ASKED_STATUSES
from eventhub.report.models import (
    Actor,
    DashboardShare,
    Domain,
    Priority,
    Recommendation,
    ReportSettings,
    SessionRapporteur,
    SessionSummary,
)
from eventhub.schedule.models import AgendaSession

SUMMARY_MAX = 100_000
TITLE_MAX = 200
TEXT_MAX = 10_000


def get_session(event: Event, session_id: object) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id) if valid_id(session_id) else None
    if session is None or session.event_id != event.id:
        raise NotFound("session_not_found", _l("No such session in this event."))
    return session


# --- rapporteurs ----------------------------------------------------------------------------------------------

def rapporteur_choices(event: Event) -> list[User]:
    return list(db.session.scalars(
        select(User).join(EventRole, EventRole.user_id == User.id)
        .where(EventRole.event_id == event.id, EventRole.role == Role.RAPPORTEUR).order_by(User.name)))


def assign_rapporteur(session: AgendaSession, user: User) -> SessionRapporteur:
    """Users get the rapporteur role from the team page (invited by email like moderators); then one session."""
    if not db.session.scalar(select(EventRole.id).where(
            EventRole.event_id == session.event_id, EventRole.user_id == user.id, EventRole.role == Role.RAPPORTEUR)):
        raise ValidationFailed("not_a_rapporteur", _l("Give this person the rapporteur role on the team page first."),
                               fields={"user_id": [str(_l("Not a rapporteur of this event."))]})
    existing = db.session.scalar(select(SessionRapporteur).where(
        SessionRapporteur.session_id == session.id, SessionRapporteur.user_id == user.id))
    if existing is not None:
        return existing
    link = SessionRapporteur(session_id=session.id, user_id=user.id)
    db.session.add(link)
    db.session.flush()
    return link


def unassign_rapporteur(session: AgendaSession, user_id: int) -> None:
    link = db.session.scalar(select(SessionRapporteur).where(
        SessionRapporteur.session_id == session.id, SessionRapporteur.user_id == user_id))
    if link is None:
        raise NotFound("rapporteur_not_found", _l("This person is not a rapporteur of this session."))
    db.session.delete(link)
    db.session.flush()


def rapporteurs_by_session(event: Event) -> dict[int, list[User]]:
    out: dict[int, list[User]] = {}
    rows = db.session.execute(
        select(SessionRapporteur.session_id, User).join(User, User.id == SessionRapporteur.user_id)
        .join(AgendaSession, AgendaSession.id == SessionRapporteur.session_id)
        .where(AgendaSession.event_id == event.id).order_by(User.name)).all()
    for sid, user in rows:
        out.setdefault(sid, []).append(user)
    return out


def is_rapporteur_of(user: User, session: AgendaSession) -> bool:
    return bool(db.session.scalar(select(SessionRapporteur.id).where(
        SessionRapporteur.session_id == session.id, SessionRapporteur.user_id == user.id)))


def check_may_write(user: User, session: AgendaSession) -> None:
    """The session's own rapporteurs and the event's organizers (and admins) write its summary."""
    if has_role(user, session.event_id, Role.ORGANIZER):
        return
    if has_role(user, session.event_id, Role.RAPPORTEUR) and is_rapporteur_of(user, session):
        return
    raise Forbidden("not_rapporteur", _l("Only this session's rapporteurs write its summary."))


def sessions_for_rapporteur(event: Event, user: User) -> list[AgendaSession]:
    query = select(AgendaSession).where(AgendaSession.event_id == event.id, AgendaSession.cancelled_at.is_(None))
    if not has_role(user, event, Role.ORGANIZER):
        query = query.join(SessionRapporteur, SessionRapporteur.session_id == AgendaSession.id).where(
            SessionRapporteur.user_id == user.id)
    return list(db.session.scalars(query.order_by(AgendaSession.starts_at, AgendaSession.id)))


# --- summaries ------------------------------------------------------------------------------------------------

def summary_of(session: AgendaSession) -> SessionSummary:
    summary = db.session.get(SessionSummary, session.id)
    if summary is None:
        summary = SessionSummary(session_id=session.id, event_id=session.event_id, text="", version=0)
    return summary


def clean_summary(text: object) -> str:
    value = strip_control(str(text or "").replace("\r\n", "\n"))
    if len(value) > SUMMARY_MAX:
        raise ValidationFailed("summary_too_long", _l("At most %(n)d characters.", n=SUMMARY_MAX),
                               fields={"text": [str(_l("At most %(n)d characters.", n=SUMMARY_MAX))]})
    return value


class SummaryConflict(Conflict):
    """Someone saved since `base_version`: nothing is overwritten; both texts go back to the writer."""

    def __init__(self, current: SessionSummary, mine: str) -> None:
        super().__init__("summary_conflict", _l("Someone else saved this summary meanwhile. Both texts are shown: "
                                                "merge them and save again."),
                         fields={"text": [str(_l("Saved meanwhile by another rapporteur."))]})
        self.current_text, self.current_version, self.mine = current.text, current.version, mine
        self.updated_by = current.updated_by.name if current.updated_by else ""

    def extra(self) -> dict[str, Any]:
        return {"current": {"text": self.current_text, "version": self.current_version, "by": self.updated_by}}


def save_summary(session: AgendaSession, text: object, *, base_version: object, by: User,
                 now: datetime | None = None) -> SessionSummary:
    """Saves when `base_version` is the stored version (a conditional UPDATE: two racing saves cannot both win)."""
    check_may_write(by, session)
    clean = clean_summary(text)
    if not isinstance(base_version, int) or isinstance(base_version, bool) or not 0 <= base_version <= MAX_ID:
        raise ValidationFailed("invalid_version", _l("Reload the page: this draft has no valid version."),
                               fields={"version": [str(_l("Invalid."))]})
    now = now or utcnow()
    summary = db.session.get(SessionSummary, session.id)
    if summary is None:
        if base_version != 0:
            raise SummaryConflict(summary_of(session), clean)
        summary = SessionSummary(session_id=session.id, event_id=session.event_id, text=clean, version=1,
                                 updated_by_id=by.id, updated_at=now)
        try:
            with db.session.begin_nested():
                db.session.add(summary)
                db.session.flush()
        except IntegrityError:  # the other rapporteur created it first
            db.session.expire_all()
            raise SummaryConflict(summary_of(session), clean) from None
        return summary
    if summary.text == clean and summary.version == base_version:
        return summary  # an autosave of an unchanged draft
    result = db.session.execute(
        update(SessionSummary).where(SessionSummary.session_id == session.id, SessionSummary.version == base_version)
        .values(text=clean, version=SessionSummary.version + 1, updated_by_id=by.id, updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(summary)
    if getattr(result, "rowcount", 0) != 1:
        raise SummaryConflict(summary, clean)
    return summary


def session_questions(session: AgendaSession) -> list[Question]:
    """What the rapporteur may pull into the summary: questions the audience saw."""
    return list(db.session.scalars(select(Question).where(
        Question.session_id == session.id, Question.status.in_(ASKED_STATUSES))
        .order_by(Question.votes.desc(), Question.id)))


def quote_question(session: AgendaSession, question_id: object) -> str:
    question = db.session.get(Question, question_id) if valid_id(question_id) else None
    if question is None or question.session_id != session.id:
        raise NotFound("question_not_found", _l("No such question in this session."))
    return "« " + " ".join(question.text.split()) + " »" + (f" ({question.votes} +1)" if question.votes else "")


def pull_question(session: AgendaSession, question_id: object, *, base_version: object, by: User) -> SessionSummary:
    """No-JS path: appends the quoted question to the stored summary (same version check as a save)."""
    check_may_write(by, session)
    quote = quote_question(session, question_id)
    current = summary_of(session)
    text = (current.text.rstrip() + "\n\n" if current.text.strip() else "") + quote
    return save_summary(session, text, base_version=base_version, by=by)


# --- recommendations ------------------------------------------------------------------------------------------

@dataclass
class RecommendationData:
    title: str
    text: str
    domain: str
    actor: str
    priority: str = Priority.MEDIUM.value


def _validate_recommendation(data: RecommendationData) -> RecommendationData:
    errors: dict[str, list[str]] = {}
    title = " ".join(strip_control(str(data.title or "")).split())
    text = strip_control(str(data.text or "").replace("\r\n", "\n")).strip()
    if not title:
        errors.setdefault("title", []).append(str(_l("A title is required.")))
    if len(title) > TITLE_MAX:
        errors.setdefault("title", []).append(str(_l("At most %(n)d characters.", n=TITLE_MAX)))
    if len(text) > TEXT_MAX:
        errors.setdefault("text", []).append(str(_l("At most %(n)d characters.", n=TEXT_MAX)))
    for name, enum_cls in (("domain", Domain), ("actor", Actor), ("priority", Priority)):
        if getattr(data, name) not in {m.value for m in enum_cls}:
            errors.setdefault(name, []).append(str(_l("Choose from the list.")))
    if errors:
        raise ValidationFailed("invalid_recommendation", _l("Please correct the errors below."), fields=errors)
    return RecommendationData(title=title, text=text, domain=data.domain, actor=data.actor, priority=data.priority)


def add_recommendation(session: AgendaSession, data: RecommendationData, *, by: User) -> Recommendation:
    check_may_write(by, session)
    clean = _validate_recommendation(data)
    rec = Recommendation(event_id=session.event_id, session_id=session.id, title=clean.title, text=clean.text,
                         domain=Domain(clean.domain), actor=Actor(clean.actor), priority=Priority(clean.priority),
                         created_by_id=by.id)
    db.session.add(rec)
    db.session.flush()
    return rec


def get_recommendation(session: AgendaSession, rec_id: object) -> Recommendation:
    rec = db.session.get(Recommendation, rec_id) if valid_id(rec_id) else None
    if rec is None or rec.session_id != session.id:
        raise NotFound("recommendation_not_found", _l("No such recommendation in this session."))
    return rec


def delete_recommendation(session: AgendaSession, rec_id: object, *, by: User) -> None:
    check_may_write(by, session)
    db.session.delete(get_recommendation(session, rec_id))
    db.session.flush()


def recommendations_of(session: AgendaSession) -> list[Recommendation]:
    return list(db.session.scalars(select(Recommendation).where(Recommendation.session_id == session.id)
                                   .order_by(Recommendation.id)))


# --- settings -------------------------------------------------------------------------------------------------

def settings_of(event: Event) -> ReportSettings:
    settings = db.session.get(ReportSettings, event.id)
    if settings is None:
        settings = ReportSettings(event_id=event.id, organizers="", partners="")
        db.session.add(settings)
        db.session.flush()
    return settings


def settings_view(event: Event) -> ReportSettings:
    """Read only (a page GET): the stored settings, or unsaved empty ones (the row is made by the first save)."""
    return db.session.get(ReportSettings, event.id) or ReportSettings(event_id=event.id, organizers="", partners="")


def update_settings(event: Event, *, organizers: str, partners: str) -> ReportSettings:
    settings = settings_of(event)
    for name, value in (("organizers", organizers), ("partners", partners)):
        clean = "\n".join(" ".join(strip_control(line).split()) for line in str(value or "").splitlines())
        if len(clean) > 5000:
            raise ValidationFailed("invalid_settings", _l("At most %(n)d characters.", n=5000),
                                   fields={name: [str(_l("At most %(n)d characters.", n=5000))]})
        setattr(settings, name, clean.strip())
    settings.updated_at = utcnow()
    db.session.flush()
    return settings


# --- read-only dashboard shares -------------------------------------------------------------------------------

def _share_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="dashboard-share")


def create_share(event: Event, label: str, *, by: User) -> DashboardShare:
    clean = " ".join(strip_control(str(label or "")).split())[:100]
    if not clean:
        raise ValidationFailed("invalid_share", _l("Say who the link is for."),
                               fields={"label": [str(_l("A name is required."))]})
    share = DashboardShare(event_id=event.id, label=clean, created_by_id=by.id)
    db.session.add(share)
    db.session.flush()
    return share


def share_token(share: DashboardShare) -> str:
    return _share_serializer().dumps({"e": share.event_id, "s": share.id})


def share_from_token(token: object) -> DashboardShare | None:
    """The live share a token names, or None (tampered with, revoked, unknown)."""
    if not isinstance(token, str) or not token or len(token) > 200:
        return None
    try:
        data = _share_serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(data, dict) or not valid_id(data.get("s")) or not valid_id(data.get("e")):
        return None
    share = db.session.get(DashboardShare, data["s"])
    if share is None or share.event_id != data["e"] or share.revoked_at is not None:
        return None
    return share


def revoke_share(event: Event, share_id: int) -> DashboardShare:
    share = db.session.get(DashboardShare, share_id) if valid_id(share_id) else None
    if share is None or share.event_id != event.id:
        raise NotFound("share_not_found", _l("No such link."))
    share.revoked_at = share.revoked_at or utcnow()
    db.session.flush()
    return share


def shares_of(event: Event) -> list[DashboardShare]:
    return list(db.session.scalars(select(DashboardShare).where(DashboardShare.event_id == event.id)
                                   .order_by(DashboardShare.id.desc())))
