"""Role walk: every URL rule of the app, requested by every kind of actor.

`ACCESS` lists each endpoint with who may use it and how to build a concrete request for it (against a real event,
registration, ticket, token, grant and mail message made by the `world` fixture). A new endpoint that the table
does not list fails `test_every_endpoint_is_listed`, so access rules are decided when a route is added, not later.

Actors: anonymous, an attendee (no account: the ticket link is the key), the event's organizer, the organizer of
another event, the event's moderator, panelist and door staff, and an admin. API routes guarded by a token are
also walked with: no token (401), another event's token (403), a revoked token (401) and the right token (2xx).
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest

from eventhub.auth.models import Role
from tests.floor import walk as fw
from tests.schedule import walk as sw

# --- who may use what -----------------------------------------------------------------------------------------


class Access(enum.Enum):
    PUBLIC = "anyone, signed in or not"
    TICKET = "anyone holding the ticket code (attendees have no account: the link is the key)"
    SIGNED_IN = "any signed-in user"
    EVENT_CREATOR = "organizer of any event, or admin"
    STAFF = "organizer, moderator, panelist or door staff of this event, or admin"
    ORGANIZER = "organizer of this event, or admin"
    MODERATOR = "moderator or organizer of this event, or admin"
    PANELIST = "panelist, moderator or organizer of this event, or admin"
    DOOR_STAFF = "door staff or organizer of this event, or admin"
    RAPPORTEUR = "rapporteur or organizer of this event, or admin (session pages also check the assignment)"
    ADMIN = "admin only"
    TOKEN = "API: a live bearer token of this event (session cookies never count)"


ANONYMOUS, ATTENDEE = "anonymous", "attendee"
ORGANIZER, OTHER_ORGANIZER = "organizer", "other_organizer"
MODERATOR, PANELIST, DOOR_STAFF, ADMIN = "moderator", "panelist", "door_staff", "admin"
RAPPORTEUR = "rapporteur"
# Allowed actors last, so destructive requests (cancel the event, log out…) do not change what others see.
ACTORS = [ANONYMOUS, ATTENDEE, OTHER_ORGANIZER, MODERATOR, PANELIST, DOOR_STAFF, RAPPORTEUR, ORGANIZER, ADMIN]
SIGNED_IN_ACTORS = {ORGANIZER, OTHER_ORGANIZER, MODERATOR, PANELIST, DOOR_STAFF, RAPPORTEUR, ADMIN}

ALLOWED: dict[Access, set[str]] = {
    Access.PUBLIC: set(ACTORS),
    Access.TICKET: set(ACTORS),
    Access.SIGNED_IN: SIGNED_IN_ACTORS,
    Access.EVENT_CREATOR: {ORGANIZER, OTHER_ORGANIZER, ADMIN},
    Access.STAFF: {ORGANIZER, MODERATOR, PANELIST, DOOR_STAFF, ADMIN},
    Access.ORGANIZER: {ORGANIZER, ADMIN},
    Access.MODERATOR: {ORGANIZER, MODERATOR, ADMIN},
    Access.PANELIST: {ORGANIZER, MODERATOR, PANELIST, ADMIN},
    Access.DOOR_STAFF: {ORGANIZER, DOOR_STAFF, ADMIN},
    Access.RAPPORTEUR: {ORGANIZER, RAPPORTEUR, ADMIN},
    Access.ADMIN: {ADMIN},
    Access.TOKEN: set(),  # no actor gets in with cookies alone
}

# What `event_role_required` must name for each per-event access level.
EXPECTED_ROLES: dict[Access, set[Role]] = {
    Access.STAFF: {Role.ORGANIZER, Role.MODERATOR, Role.PANELIST, Role.DOOR_STAFF},
    Access.ORGANIZER: {Role.ORGANIZER},
    Access.MODERATOR: {Role.ORGANIZER, Role.MODERATOR},
    Access.PANELIST: {Role.ORGANIZER, Role.MODERATOR, Role.PANELIST},
    Access.DOOR_STAFF: {Role.ORGANIZER, Role.DOOR_STAFF},
    Access.RAPPORTEUR: {Role.ORGANIZER, Role.RAPPORTEUR},
}


@dataclass
class Req:
    url: str
    json: Any = None
    data: dict | None = None


@dataclass
class World:
    """Everything the URL builders need, made fresh for each test."""

    app: Any
    event: Any
    other_event: Any
    users: dict[str, Any]
    ticket_code: str
    registration: Any
    token: str
    other_token: str
    revoked_token: str
    message_id: int
    reset_token: str
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    # Fresh objects, for requests that use something up (a cancelled registration, a revoked token…).
    def new_registration(self):
        from eventhub.core.db import commit
        from eventhub.registration import services as reg
        from eventhub.registration.models import AttendanceMode

        n = next(self.counter)
        result = reg.register(self.event, reg.RegistrationData(
            name=f"Attendee {n}", email=f"walk{n}@example.org", country="ML", mode=AttendanceMode.IN_PERSON,
            consent=True))
        commit()
        return result.registration

    def new_token_id(self) -> int:
        from eventhub.auth.services import create_api_token
        from eventhub.core.db import commit

        token, _plain = create_api_token(self.event, self.users[ORGANIZER], f"walk {next(self.counter)}")
        commit()
        return token.id

    def new_grant_id(self) -> int:
        from eventhub.auth.services import create_user, grant_role
        from eventhub.core.db import commit

        n = next(self.counter)
        user = create_user(f"grantee{n}@example.org", f"Grantee {n}")
        grant = grant_role(self.event, user, Role.PANELIST)
        commit()
        return grant.id

    def unique_email(self) -> str:
        return f"api{next(self.counter)}@example.org"


Builder = Callable[[World, str], Req]


@dataclass(frozen=True)
class Rule:
    access: Access
    build: dict[str, Builder]  # HTTP method -> request builder


def _point(w: World) -> int:
    """The event's main entrance (created on first use, as the scanner page does)."""
    from eventhub.checkin.services import ensure_default_point
    from eventhub.core.db import commit

    point = ensure_default_point(w.event)[0]
    commit()
    return point.id


def _new_point(w: World) -> int:
    from eventhub.checkin.services import add_point
    from eventhub.core.db import commit

    point = add_point(w.event, f"Door {next(w.counter)}")
    commit()
    return point.id


def _new_checkin(w: World) -> int:
    from eventhub.checkin.models import CheckInPoint
    from eventhub.checkin.services import check_in
    from eventhub.core.db import commit
    from eventhub.extensions import db

    point = db.session.get(CheckInPoint, _point(w))
    result = check_in(w.new_registration().ticket.code, by=w.users[ORGANIZER], point=point)
    commit()
    return result.checkin.id


def _stage_key(w: World) -> str:
    """The stage key of the walk's session (its stage row is made with the session)."""
    from eventhub.extensions import db
    from eventhub.schedule.models import AgendaSession
    from eventhub.stage import services

    return services.get_stage(db.session.get(AgendaSession, sw.sched(w).session_id)).screen_key


def _stage_session(w: World) -> int:
    """The walk's session, with the walk's moderator named on it (the stage console is for the session's own
    moderators; a moderator of another session gets 403: tests/stage)."""
    from eventhub.core.db import commit
    from eventhub.extensions import db
    from eventhub.schedule.models import SessionModerator

    session_id = sw.sched(w).session_id
    moderator_id = w.users[MODERATOR].id
    if db.session.scalar(db.select(SessionModerator.id).where(SessionModerator.session_id == session_id,
                                                              SessionModerator.user_id == moderator_id)) is None:
        db.session.add(SessionModerator(session_id=session_id, user_id=moderator_id))
        commit()
    return session_id


def _qa_code(w: World) -> str:
    """The short join code of the walk's session (its Q&A settings are made with the session)."""
    from eventhub.extensions import db
    from eventhub.qa import services
    from eventhub.schedule.models import AgendaSession

    return services.get_settings(db.session.get(AgendaSession, sw.sched(w).session_id)).short_code


def _rap(w: World) -> int:
    """The walk's session, with the walk's rapporteur assigned to it."""
    from eventhub.core.db import commit
    from eventhub.extensions import db
    from eventhub.report import services
    from eventhub.schedule.models import AgendaSession

    session = db.session.get(AgendaSession, sw.sched(w).session_id)
    services.assign_rapporteur(session, w.users[RAPPORTEUR])
    commit()
    return session.id


def _version(w: World) -> int:
    cached = getattr(w, "_report_version", None)
    if cached is None:
        from eventhub.core.db import commit
        from eventhub.report import versions

        cached = versions.issue(w.event, "fr", by=w.users[ORGANIZER]).id
        commit()
        w._report_version = cached
    return cached


def _share(w: World) -> tuple[int, str]:
    from eventhub.core.db import commit
    from eventhub.report import services

    share = services.create_share(w.event, f"Ambassade {next(w.counter)}", by=w.users[ORGANIZER])
    commit()
    return share.id, services.share_token(share)


# --- the URL builders: templates filled from the world --------------------------------------------------------

# What a template may name; each value is computed once per request, and only when the template names it (the
# `new_*` ones make a fresh object: a registration to cancel, a token to revoke…).
FIELDS: dict[str, Callable[[World], Any]] = {
    "event": lambda w: w.event.id,
    "slug": lambda w: w.event.slug,
    "ticket": lambda w: w.ticket_code,
    "message": lambda w: w.message_id,
    "reset": lambda w: w.reset_token,
    "registration": lambda w: w.registration.id,
    "rapporteur": lambda w: w.users[RAPPORTEUR].id,
    "new_registration": lambda w: w.new_registration().id,
    "new_ticket": lambda w: w.new_registration().ticket.code,
    "new_grant": lambda w: w.new_grant_id(),
    "new_token": lambda w: w.new_token_id(),
    "point": _point,
    "new_point": _new_point,
    "new_checkin": _new_checkin,
    "sched_slug": lambda w: sw.sched(w).slug,  # the event's slug, once its schedule (a published session) exists
    "session": lambda w: sw.sched(w).session_id,
    "room": lambda w: sw.sched(w).room_id,
    "panelist": lambda w: sw.sched(w).panelist_id,
    "panelist_link": lambda w: sw.sched(w).token,
    "new_room": sw.new_room,
    "new_draft": sw.new_draft_session,
    "new_panelist": sw.new_panelist,
    "qa_code": _qa_code,
    "stage_key": _stage_key,
    "stage_session": _stage_session,
    "interpreter": fw.interpreter_token,
    "rap": _rap,
    "version": _version,
    "new_share": lambda w: _share(w)[0],
    "share_token": lambda w: _share(w)[1],
}
Body = dict | Callable[[World, str], dict] | None


class _Values(dict):
    def __init__(self, w: World, actor: str) -> None:
        super().__init__(actor=actor)
        self.w = w

    def __missing__(self, name: str) -> Any:
        self[name] = value = FIELDS[name](self.w)
        return value


def url(template: str) -> Builder:
    """A GET of `template` ("/manage/events/{event}/…"; `{actor}` is who asks)."""
    return lambda w, a: Req(template.format_map(_Values(w, a)))


def send(template: str, *, data: Body = None, json: Body = None) -> Builder:
    """A request with a form (`data`) or a JSON body (`json`): a dict, or a function of the world and the actor."""
    def build(w: World, a: str) -> Req:
        path = template.format_map(_Values(w, a))
        return Req(path, json=json(w, a) if callable(json) else json, data=data(w, a) if callable(data) else data)
    return build


def get(access: Access, template: str) -> Rule:
    return Rule(access, {"GET": url(template)})


def post(access: Access, template: str, *, data: Body = None, json: Body = None) -> Rule:
    return Rule(access, {"POST": send(template, data=data, json=json)})


def form(access: Access, template: str, data: Body = None) -> Rule:
    """A page and its form, at the same address (posted empty unless `data` says otherwise)."""
    return Rule(access, {"GET": url(template), "POST": send(template, data={} if data is None else data)})


_M = "/manage/events/{event}"
_S = "/manage/events/{event}/schedule"
_API = "/api/v1/events/{event}"
_R = "/manage/events/{event}/report"
_RAP = "/manage/events/{event}/rapporteur/{rap}"
_DOOR = "/checkin/events/{event}"

ACCESS: dict[str, Rule] = {
    # public pages
    "core.index": get(Access.PUBLIC, "/"),
    "core.health": get(Access.PUBLIC, "/healthz"),
    "core.set_language": post(Access.PUBLIC, "/lang", data={"lang": "en", "next": "/"}),
    "auth.login": form(Access.PUBLIC, "/login"),
    "auth.forgot_password": form(Access.PUBLIC, "/password/forgot", {"email": "nobody@example.org"}),
    "auth.reset_password": form(Access.PUBLIC, "/password/reset/{reset}"),
    "events.public_page": get(Access.PUBLIC, "/e/{slug}"),
    "registration.register": form(Access.PUBLIC, "/e/{slug}/register"),
    "registration.resend": post(Access.PUBLIC, "/e/{slug}/resend", data={"email": "aminata@example.org"}),
    # ticket links
    "registration.ticket": get(Access.TICKET, "/t/{ticket}"),
    "registration.ticket_png": get(Access.TICKET, "/t/{ticket}.png"),
    "registration.ticket_ics": get(Access.TICKET, "/t/{ticket}.ics"),
    "registration.cancel_own": post(Access.TICKET, "/t/{new_ticket}/cancel"),
    # signed in
    "auth.logout": post(Access.SIGNED_IN, "/logout"),
    "events.manage_index": get(Access.SIGNED_IN, "/manage"),
    "events.create": form(Access.EVENT_CREATOR, "/manage/events/new"),
    # event staff
    "events.dashboard": get(Access.STAFF, _M),
    # event organizers
    "events.edit": form(Access.ORGANIZER, _M + "/edit"),
    "events.publish": post(Access.ORGANIZER, _M + "/publish"),
    "events.cancel": post(Access.ORGANIZER, _M + "/cancel"),
    "events.outbox": get(Access.ORGANIZER, _M + "/outbox"),
    "events.outbox_message": get(Access.ORGANIZER, _M + "/outbox/{message}"),
    "registration.manage_list": get(Access.ORGANIZER, _M + "/registrations"),
    "registration.manage_csv": get(Access.ORGANIZER, _M + "/registrations.csv"),
    "registration.manage_add": form(Access.ORGANIZER, _M + "/registrations/new"),
    "registration.manage_cancel": post(Access.ORGANIZER, _M + "/registrations/{new_registration}/cancel"),
    "registration.manage_revoke": post(Access.ORGANIZER, _M + "/registrations/{new_registration}/revoke"),
    "registration.manage_reissue": post(Access.ORGANIZER, _M + "/registrations/{new_registration}/reissue"),
    "auth.team": form(Access.ORGANIZER, _M + "/team"),
    "auth.remove_team_member": post(Access.ORGANIZER, _M + "/team/{new_grant}/remove"),
    "auth.api_tokens": form(Access.ORGANIZER, _M + "/tokens"),
    "auth.revoke_api_token": post(Access.ORGANIZER, _M + "/tokens/{new_token}/revoke"),
    # JSON API, public
    "api.list_events": get(Access.PUBLIC, "/api/v1/events"),
    "api.get_event": get(Access.PUBLIC, _API),
    "api.public_key": get(Access.PUBLIC, _API + "/public-key"),
    "api.openapi": get(Access.PUBLIC, "/api/v1/openapi.json"),
    "api.ticket_status": get(Access.TICKET, "/api/v1/tickets/{ticket}"),
    # Public, or with the event's token (then consent is the organizer's business).
    "api.create_registration": post(Access.PUBLIC, _API + "/registrations", json=lambda w, a: {
        "name": f"API {a}", "email": w.unique_email(), "country": "SN", "mode": "remote", "consent": True}),
    # JSON API, token
    "api.patch_event": Rule(Access.TOKEN, {"PATCH": send(_API, json=lambda w, a: {"title": f"Renamed by {a}"})}),
    "api.list_registrations": get(Access.TOKEN, _API + "/registrations"),
    "api.get_registration": get(Access.TOKEN, _API + "/registrations/{registration}"),
    "api.cancel_registration": post(Access.TOKEN, _API + "/registrations/{new_registration}/cancel"),
    "api.revoke_ticket": post(Access.TOKEN, _API + "/registrations/{new_registration}/revoke-ticket"),
    # door check-in: the scanner page and its JSON calls (door staff), the PWA files (public)
    "checkin.scanner": get(Access.DOOR_STAFF, _DOOR + "/scan"),
    "checkin_backup.backup_code": post(Access.DOOR_STAFF, _DOOR + "/backup-code", json=lambda w, a: {
        "code": "ZZZZ2345", "point_id": _point(w)}),
    "checkin_latest.latest": get(Access.ORGANIZER, _M + "/checkin/latest"),
    # role homes (issue 12)
    "home.home": get(Access.SIGNED_IN, "/home"),
    "home.my_sessions": get(Access.PANELIST, _M + "/mine"),
    "favicon": get(Access.PUBLIC, "/favicon.ico"),
    "registration.cancel_confirm": get(Access.TICKET, "/t/{ticket}/cancel"),
    "checkin.scan": post(Access.DOOR_STAFF, _DOOR + "/scan", json=lambda w, a: {
        "code": w.ticket_code, "point_id": _point(w)}),
    "checkin.open_door": post(Access.DOOR_STAFF, _DOOR + "/scan/open", data={}),
    "checkin.sync": post(Access.DOOR_STAFF, _DOOR + "/sync", json={"scans": []}),
    "checkin.snapshot": get(Access.DOOR_STAFF, _DOOR + "/snapshot"),
    "checkin.search": get(Access.DOOR_STAFF, _DOOR + "/search?q=ami"),
    "checkin.checkin_registration": post(Access.DOOR_STAFF, _DOOR + "/registrations/{new_registration}/checkin",
                                         json=lambda w, a: {"point_id": _point(w)}),
    "checkin.manifest": get(Access.PUBLIC, "/checkin/manifest.webmanifest"),
    "checkin.service_worker": get(Access.PUBLIC, "/checkin/sw.js"),
    # door check-in: the organizer's side
    "checkin.dashboard": get(Access.ORGANIZER, _M + "/checkin"),
    "checkin.add_point": post(Access.ORGANIZER, _M + "/checkin/points", data=lambda w, a: {"name": f"Door {a}"}),
    "checkin.archive_point": post(Access.ORGANIZER, _M + "/checkin/points/{new_point}/archive"),
    "checkin.settings": post(Access.ORGANIZER, _M + "/checkin/settings", data={}),
    "checkin.undo": post(Access.ORGANIZER, _M + "/checkin/{new_checkin}/undo"),
    "checkin.log_csv": get(Access.ORGANIZER, _M + "/checkin/log.csv"),
    # door check-in through the API (a scanner device's token)
    "checkin_api.scan": post(Access.TOKEN, _API + "/checkins", json=lambda w, a: {
        "code": w.ticket_code, "point_id": _point(w)}),
    "checkin_api.sync": post(Access.TOKEN, _API + "/checkins/sync", json={"scans": []}),
    "checkin_api.log": get(Access.TOKEN, _API + "/checkins/log"),
    # schedule: public agenda, personal agenda (ticket link), panelist page (personal link)
    "schedule.agenda": get(Access.PUBLIC, "/e/{sched_slug}/agenda"),
    "schedule.session_page": get(Access.PUBLIC, "/e/{sched_slug}/agenda/{session}"),
    "schedule.agenda_ics": get(Access.PUBLIC, "/e/{sched_slug}/agenda.ics"),
    "schedule.panelist_photo": get(Access.PUBLIC, "/e/{sched_slug}/panelists/{panelist}/photo"),
    "schedule.my_agenda": get(Access.TICKET, "/t/{ticket}/agenda"),
    "schedule.star": post(Access.TICKET, "/t/{ticket}/agenda/{session}/star"),
    "schedule.my_agenda_ics": get(Access.TICKET, "/t/{ticket}/agenda.ics"),
    "schedule.panelist_page": get(Access.PUBLIC, "/e/{sched_slug}/panelist/{panelist_link}"),
    "schedule.panelist_ics": get(Access.PUBLIC, "/e/{sched_slug}/panelist/{panelist_link}/agenda.ics"),
    # schedule: organizer screens (the green room also for moderators)
    "schedule_manage.grid": get(Access.ORGANIZER, _S),
    "schedule_manage.publish": post(Access.ORGANIZER, _S + "/publish"),
    "schedule_manage.rooms": Rule(Access.ORGANIZER, {
        "GET": url(_S + "/rooms"), "POST": send(_S + "/rooms", data=lambda w, a: {"name": f"Salle {a}"})}),
    "schedule_manage.edit_room": form(Access.ORGANIZER, _S + "/rooms/{room}/edit"),
    "schedule_manage.delete_room": post(Access.ORGANIZER, _S + "/rooms/{new_room}/delete"),
    "schedule_manage.new_session": form(Access.ORGANIZER, _S + "/sessions/new"),
    "schedule_manage.edit_session": form(Access.ORGANIZER, _S + "/sessions/{session}/edit"),
    "schedule_manage.move_session": post(Access.ORGANIZER, _S + "/sessions/{new_draft}/move", json={}),
    "schedule_manage.cancel_session": post(Access.ORGANIZER, _S + "/sessions/{new_draft}/cancel"),
    "schedule_manage.delete_session": post(Access.ORGANIZER, _S + "/sessions/{new_draft}/delete"),
    "schedule_manage.panelists": form(Access.ORGANIZER, _S + "/panelists"),
    "schedule_manage.edit_panelist": form(Access.ORGANIZER, _S + "/panelists/{panelist}/edit"),
    "schedule_manage.invite_panelist": post(Access.ORGANIZER, _S + "/panelists/{new_panelist}/invite"),
    "schedule_manage.revoke_panelist_links": post(Access.ORGANIZER, _S + "/panelists/{new_panelist}/revoke"),
    "schedule_manage.delete_panelist": post(Access.ORGANIZER, _S + "/panelists/{new_panelist}/delete"),
    "schedule_manage.green_room": get(Access.MODERATOR, _S + "/green-room"),
    # schedule through the API: public reading once published; editing with the event's token
    "schedule_api.list_rooms": get(Access.PUBLIC, _API + "/rooms"),
    "schedule_api.create_room": post(Access.TOKEN, _API + "/rooms", json=lambda w, a: {
        "name": f"API {next(w.counter)}"}),
    "schedule_api.patch_room": Rule(Access.TOKEN, {"PATCH": send(_API + "/rooms/{new_room}", json={"capacity": 50})}),
    "schedule_api.delete_room": Rule(Access.TOKEN, {"DELETE": url(_API + "/rooms/{new_room}")}),
    "schedule_api.list_sessions": get(Access.PUBLIC, _API + "/sessions"),
    "schedule_api.get_session": get(Access.PUBLIC, _API + "/sessions/{session}"),
    "schedule_api.create_session": post(Access.TOKEN, _API + "/sessions", json=lambda w, a: sw.session_body(w)),
    "schedule_api.patch_session": Rule(Access.TOKEN, {"PATCH": send(
        _API + "/sessions/{new_draft}", json=lambda w, a: {"title": f"Renamed by {a}"})}),
    "schedule_api.delete_session": Rule(Access.TOKEN, {"DELETE": url(_API + "/sessions/{new_draft}")}),
    # live Q&A (eventhub/qa): attendee pages public or by ticket link, the projector public, the console moderators'
    "qa.attendee": get(Access.PUBLIC, "/qa/{session}"),
    "qa.attendee_ticket": get(Access.TICKET, "/t/{ticket}/qa/{session}"),
    "qa.join": get(Access.PUBLIC, "/q/{qa_code}"),
    "qa.join_qr": get(Access.PUBLIC, "/qa/{session}/qr.svg"),
    "qa.participant_key": get(Access.PUBLIC, "/qa/{session}/participant"),
    "qa.screen": get(Access.PUBLIC, "/qa/{session}/screen"),
    "qa.manage_index": get(Access.MODERATOR, _M + "/qa"),
    "qa.console": get(Access.MODERATOR, _M + "/qa/{session}"),
    # the floor (eventhub/floor): the console and its form action moderators', the interpreter page by its link
    "floor.console": get(Access.MODERATOR, _M + "/floor/{session}"),
    "floor.act": post(Access.MODERATOR, _M + "/floor/{session}", data={"action": "pause"}),
    "floor.interpreter": get(Access.TICKET, "/floor/interpreter/{interpreter}"),
    "floor_api.event_speaking_times": get(Access.TOKEN, _API + "/speaking-times"),
    "floor_api.session_speaking_times": get(Access.TOKEN, _API + "/sessions/{session}/speaking-times"),
    # the stage (eventhub/stage): screen and room feed by the stage's key, the panelist's stage by their link, the
    # attendee's live page by ticket, the console for organizers and the session's moderators
    "stage.screen": get(Access.TICKET, "/stage/{session}/screen?key={stage_key}"),
    "stage.room_feed": get(Access.TICKET, "/stage/{session}/room-feed?key={stage_key}"),
    "stage.panelist_stage": get(Access.PUBLIC, "/e/{sched_slug}/panelist/{panelist_link}/stage/{session}"),
    "stage.attendee": get(Access.TICKET, "/t/{ticket}/stage/{session}"),
    "stage.console": get(Access.MODERATOR, _M + "/stage/{stage_session}"),
    # the final report, the live dashboard and the rapporteurs (eventhub/report)
    "report.preview": get(Access.ORGANIZER, _R + "?lang=ar"),
    "report.draft_pdf": get(Access.ORGANIZER, _R + "/draft.pdf"),
    "report.draft_xlsx": get(Access.ORGANIZER, _R + "/draft.xlsx"),
    "report.issue": post(Access.ORGANIZER, _R + "/issue", data={"lang": "en"}),
    "report.version_pdf": get(Access.ORGANIZER, _R + "/versions/{version}.pdf"),
    "report.version_xlsx": get(Access.ORGANIZER, _R + "/versions/{version}.xlsx"),
    "report.settings": post(Access.ORGANIZER, _R + "/settings", data={"organizers": "MDA", "partners": "ASAL"}),
    "report.live_dashboard": get(Access.ORGANIZER, _M + "/dashboard"),
    "report.create_share": post(Access.ORGANIZER, _M + "/dashboard/shares", data={"label": "Ambassade"}),
    "report.revoke_share": post(Access.ORGANIZER, _M + "/dashboard/shares/{new_share}/revoke"),
    "report.shared_dashboard": get(Access.TICKET, "/dashboard/{share_token}"),
    "report_rapporteur.assign": form(Access.ORGANIZER, _R + "/rapporteurs", lambda w, a: {
        "session_id": str(sw.sched(w).session_id), "user_id": str(w.users[RAPPORTEUR].id)}),
    "report_rapporteur.unassign": post(Access.ORGANIZER, _R + "/rapporteurs/{rap}/{rapporteur}/remove"),
    "report_rapporteur.my_sessions": get(Access.RAPPORTEUR, _M + "/rapporteur"),
    "report_rapporteur.editor": form(Access.RAPPORTEUR, _RAP, lambda w, a: {"text": f"Synthèse {a}", "version": "0"}),
    "report_rapporteur.summary_autosave": post(Access.RAPPORTEUR, _RAP + "/autosave", json=lambda w, a: {
        "text": a, "version": 0}),
    "report_rapporteur.pull_question": post(Access.RAPPORTEUR, _RAP + "/pull", data={
        "question_id": "1", "version": "0"}),
    "report_rapporteur.add_recommendation": post(Access.RAPPORTEUR, _RAP + "/recommendations", data={
        "title": "Fibre", "domain": "fibre", "actor": "both", "priority": "high"}),
    "report_rapporteur.delete_recommendation": post(Access.RAPPORTEUR, _RAP + "/recommendations/999999/delete"),
    **{f"report_api.{name}": get(Access.TOKEN, _API + f"/report/{path}")
       for name, path in (("attendance", "attendance"), ("questions", "questions"), ("polls", "polls"),
                          ("speaking_times", "speaking-times"))},
}

TOKEN_ENDPOINTS = sorted(e for e, r in ACCESS.items() if r.access is Access.TOKEN)


# --- fixtures -------------------------------------------------------------------------------------------------

@pytest.fixture
def world(app, ctx, make_user, make_event) -> World:
    from eventhub.auth.services import create_api_token, grant_role, make_reset_token, revoke_api_token
    from eventhub.core.db import commit
    from eventhub.extensions import db
    from eventhub.mail.models import MailMessage
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode

    users = {name: make_user(f"{name}@example.org", name.title()) for name in SIGNED_IN_ACTORS - {ADMIN}}
    users[ADMIN] = make_user("admin@example.org", "Admin", is_admin=True)
    event = make_event(organizer=users[ORGANIZER], title="Forum de Bamako")
    other_event = make_event(organizer=users[OTHER_ORGANIZER], title="Forum de Dakar")
    for actor, role in ((MODERATOR, Role.MODERATOR), (PANELIST, Role.PANELIST), (DOOR_STAFF, Role.DOOR_STAFF),
                        (RAPPORTEUR, Role.RAPPORTEUR)):
        grant_role(event, users[actor], role)
    registration = reg.register(event, reg.RegistrationData(
        name="Aminata Traoré", email="aminata@example.org", country="ML", mode=AttendanceMode.IN_PERSON,
        consent=True)).registration
    _t, token = create_api_token(event, users[ORGANIZER], "scanner")
    _t, other_token = create_api_token(other_event, users[OTHER_ORGANIZER], "other")
    revoked, revoked_token = create_api_token(event, users[ORGANIZER], "old")
    revoke_api_token(revoked)
    resetee = make_user("resetee@example.org", "Resetee")
    commit()
    message = db.session.scalars(db.select(MailMessage).where(MailMessage.event_id == event.id)).first()
    assert message is not None, "registering must have queued a confirmation email"
    return World(app=app, event=event, other_event=other_event, users=users, ticket_code=registration.ticket.code,
                 registration=registration, token=token, other_token=other_token, revoked_token=revoked_token,
                 message_id=message.id, reset_token=make_reset_token(resetee))


@pytest.fixture
def clients(app, world) -> dict[str, Any]:
    """One test client per actor; signed-in actors sign in through the login form."""
    out = {}
    for actor in ACTORS:
        client = app.test_client()
        if actor in world.users:
            response = client.post("/login", data={"email": world.users[actor].email,
                                                   "password": "correct horse battery"})
            assert response.status_code == 302, f"{actor} could not sign in"
        out[actor] = client
    return out


# --- helpers --------------------------------------------------------------------------------------------------

def _send(client, method: str, req: Req, headers: dict | None = None):
    from eventhub.extensions import limiter

    limiter.reset()  # the walk checks who gets in, not how often: keep rate limits out of the way
    return client.open(req.url, method=method, json=req.json, data=req.data, headers=headers or {})


def _is_login_redirect(response) -> bool:
    """The sign-in wall: a redirect to /login?next=… (a form that simply lands on /login does not count)."""
    location = urlsplit(response.headers.get("Location", ""))
    return response.status_code == 302 and location.path == "/login" and \
        "next=" in location.query


def _check_matches(app, endpoint: str, method: str, url: str) -> None:
    adapter = app.url_map.bind("localhost")
    matched, _args = adapter.match(urlsplit(url).path, method=method)
    assert matched == endpoint, f"the builder for {endpoint} made {method} {url}, which is {matched}"


# --- the table is complete ------------------------------------------------------------------------------------

def test_every_endpoint_is_listed(app):
    rules: dict[str, set[str]] = {}
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        rules.setdefault(rule.endpoint, set()).update(rule.methods - {"HEAD", "OPTIONS"})
    missing = sorted(set(rules) - set(ACCESS))
    assert not missing, f"new endpoints: decide who may use them and add them to ACCESS in {__file__}: {missing}"
    stale = sorted(set(ACCESS) - set(rules))
    assert not stale, f"ACCESS lists endpoints that no longer exist: {stale}"
    for endpoint, methods in rules.items():
        assert set(ACCESS[endpoint].build) == methods, f"{endpoint}: the table must build every method {methods}"


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_table_agrees_with_the_route_guards(app, endpoint):
    view = app.view_functions[endpoint]
    rule = ACCESS[endpoint]
    roles = getattr(view, "allowed_roles", None)
    if rule.access in EXPECTED_ROLES:
        assert roles is not None, f"{endpoint} is listed as {rule.access.name} but has no event_role_required guard"
        assert set(roles) == EXPECTED_ROLES[rule.access], f"{endpoint} admits {roles}"
    else:
        assert roles is None, f"{endpoint} has an event role guard {roles} but is listed as {rule.access.name}"
    assert bool(getattr(view, "token_required", False)) == (rule.access is Access.TOKEN), endpoint


# --- the walk -------------------------------------------------------------------------------------------------

def _answers_json(app, endpoint: str) -> bool:
    """A JSON route (marked by its view or its blueprint): its errors, the missing login included, are JSON."""
    view = app.view_functions[endpoint]
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return bool(getattr(view, "json_view", False) or getattr(blueprint, "answers_json", False))


@pytest.mark.parametrize("endpoint", sorted(ACCESS))
def test_role_walk(app, world, clients, endpoint):
    rule = ACCESS[endpoint]
    allowed = ALLOWED[rule.access]
    failures: list[str] = []
    for method, build in rule.build.items():
        for actor in ACTORS:
            req = build(world, actor)
            _check_matches(app, endpoint, method, req.url)
            response = _send(clients[actor], method, req)
            status, where = response.status_code, f"{method} {req.url} as {actor}"
            if status >= 500 or status == 429:
                failures.append(f"{where}: {status}")
            elif rule.access is Access.TOKEN:
                # Cookies never authenticate the API, not even an admin's.
                if status != 401:
                    failures.append(f"{where} without a token: expected 401, got {status}")
                elif response.get_json()["error"]["code"] != "unauthorized":
                    failures.append(f"{where}: 401 without the unauthorized error code")
            elif actor in allowed:
                if status in (401, 403) or _is_login_redirect(response):
                    failures.append(f"{where}: should be allowed, got {status} {response.headers.get('Location')}")
            elif actor in SIGNED_IN_ACTORS:
                if status != 403:
                    failures.append(f"{where}: should be refused with 403, got {status}")
            elif req.json is not None or _answers_json(app, endpoint):
                # A JSON call without a login is answered 401 JSON (a script cannot follow a login redirect).
                if status != 401 or (response.get_json() or {}).get("error", {}).get("code") != "unauthorized":
                    failures.append(f"{where}: a JSON call should be refused 401 unauthorized, got {status}")
            elif not _is_login_redirect(response):
                failures.append(f"{where}: should redirect to /login, got {status} {response.headers.get('Location')}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("endpoint", TOKEN_ENDPOINTS)
def test_api_token_walk(app, world, endpoint):
    client = app.test_client()
    for method, build in ACCESS[endpoint].build.items():
        cases = [
            ("no token", None, 401, "unauthorized"),
            ("malformed header", f"Token {world.token}", 401, "unauthorized"),
            ("unknown token", "Bearer eh_" + "x" * 43, 401, "unauthorized"),
            ("another event's token", f"Bearer {world.other_token}", 403, "forbidden"),
            ("revoked token", f"Bearer {world.revoked_token}", 401, "unauthorized"),
        ]
        for label, header, expected, code in cases:
            req = build(world, ADMIN)
            response = _send(client, method, req, {"Authorization": header} if header else None)
            assert response.status_code == expected, f"{method} {req.url} with {label}: {response.status_code}"
            assert response.get_json()["error"]["code"] == code, f"{label}: {response.get_json()}"
            if expected == 401:
                assert response.headers.get("WWW-Authenticate", "").startswith("Bearer")
        req = build(world, ORGANIZER)
        response = _send(client, method, req, {"Authorization": f"Bearer {world.token}"})
        assert 200 <= response.status_code < 300, f"{method} {req.url} with the right token: " \
                                                   f"{response.status_code} {response.get_data(as_text=True)[:300]}"


def test_revoking_a_token_through_the_ui_locks_it_out(app, world, clients):
    from eventhub.auth.models import ApiToken
    from eventhub.extensions import db

    url = f"/api/v1/events/{world.event.id}/registrations"
    headers = {"Authorization": f"Bearer {world.token}"}
    assert app.test_client().get(url, headers=headers).status_code == 200
    token_id = db.session.scalar(db.select(ApiToken.id).where(ApiToken.name == "scanner"))
    response = clients[ORGANIZER].post(f"/manage/events/{world.event.id}/tokens/{token_id}/revoke")
    assert response.status_code == 302
    assert app.test_client().get(url, headers=headers).status_code == 401


def test_api_token_for_a_draft_event_sees_it_others_do_not(app, world, make_event):
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit

    draft = make_event(organizer=world.users[ORGANIZER], publish=False, title="Brouillon")
    _t, token = create_api_token(draft, world.users[ORGANIZER], "draft")
    commit()
    client = app.test_client()
    assert client.get(f"/api/v1/events/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/events/{draft.id}", headers={"Authorization": f"Bearer {world.token}"}
                      ).status_code == 404
    assert client.get(f"/api/v1/events/{draft.id}", headers={"Authorization": f"Bearer {token}"}).status_code == 200


# --- objects of another event are not reachable through this event's URLs -----------------------------------

def test_organizer_cannot_reach_another_events_objects_through_own_event(app, world, clients):
    """The guard checks the event in the URL; each view must also check the object belongs to it."""
    from eventhub.auth.models import EventRole
    from eventhub.auth.services import create_api_token
    from eventhub.core.db import commit
    from eventhub.extensions import db
    from eventhub.mail.models import MailMessage
    from eventhub.registration import services as reg
    from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus

    other = world.other_event
    theirs = reg.register(other, reg.RegistrationData(
        name="Moussa Diop", email="moussa@example.org", country="SN", mode=AttendanceMode.IN_PERSON,
        consent=True)).registration
    other_token, _plain = create_api_token(other, world.users[OTHER_ORGANIZER], "theirs")
    commit()
    message_id = db.session.scalar(db.select(MailMessage.id).where(MailMessage.event_id == other.id))
    grant_id = db.session.scalar(db.select(EventRole.id).where(EventRole.event_id == other.id))
    mine = world.event.id
    client = clients[ORGANIZER]
    requests = [
        ("GET", f"/manage/events/{mine}/outbox/{message_id}"),
        ("POST", f"/manage/events/{mine}/team/{grant_id}/remove"),
        ("POST", f"/manage/events/{mine}/tokens/{other_token.id}/revoke"),
        ("POST", f"/manage/events/{mine}/registrations/{theirs.id}/cancel"),
        ("POST", f"/manage/events/{mine}/registrations/{theirs.id}/revoke"),
        ("POST", f"/manage/events/{mine}/registrations/{theirs.id}/reissue"),
    ]
    for method, url in requests:
        response = _send(client, method, Req(url))
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    api = app.test_client()
    headers = {"Authorization": f"Bearer {world.token}"}
    for method, path in (("GET", ""), ("POST", "/cancel"), ("POST", "/revoke-ticket")):
        url = f"/api/v1/events/{mine}/registrations/{theirs.id}{path}"
        response = _send(api, method, Req(url), headers)
        assert response.status_code == 404, f"{method} {url}: {response.status_code}"
    db.session.expire_all()
    assert db.session.get(Registration, theirs.id).status == RegistrationStatus.CONFIRMED
    assert db.session.get(Registration, theirs.id).ticket is not None
    assert db.session.get(EventRole, grant_id) is not None
    assert other_token.revoked_at is None


def test_removing_a_role_ends_access_at_once(app, world, clients):
    """Role removal bumps the session version: the moderator's open session loses the dashboard."""
    from eventhub.auth.models import EventRole
    from eventhub.extensions import db

    moderator = clients[MODERATOR]
    dashboard = f"/manage/events/{world.event.id}"
    assert moderator.get(dashboard).status_code == 200
    grant_id = db.session.scalar(db.select(EventRole.id).where(
        EventRole.event_id == world.event.id, EventRole.user_id == world.users[MODERATOR].id))
    assert clients[ORGANIZER].post(f"{dashboard}/team/{grant_id}/remove").status_code == 302
    response = moderator.get(dashboard)
    assert _is_login_redirect(response), response.status_code


@pytest.mark.parametrize("endpoint", sorted(e for e, r in ACCESS.items() if r.access is Access.TICKET))
def test_ticket_routes_need_the_real_code(app, world, clients, endpoint):
    """The code is the key: without a genuine one nobody gets in, not even an admin."""
    from eventhub.tickets import codes

    real = codes.parse(world.ticket_code)
    forged = codes.encode(world.event.id, real.secret, world.other_event.signing_key)
    for method, build in ACCESS[endpoint].build.items():
        for actor in ACTORS:
            url = build(world, actor).url
            code = url.split("/")[-2] if url.endswith("/cancel") else url.split("/")[-1].split(".")[0]
            response = _send(clients[actor], method, Req(url.replace(code, forged)))
            assert response.status_code == 404, f"{method} {url} with a forged code as {actor}"
