"""JSON API v1. Machine clients authenticate with an organizer-issued bearer token, scoped to one event."""

from __future__ import annotations

import base64

from flask import Blueprint, Response, current_app, request
from flask_babel import gettext as _

from eventhub.api import schemas
from eventhub.api.openapi import build_openapi
from eventhub.auth.tokens import bearer_token, record_use, token_for_this_event, token_required
from eventhub.core.apidoc import Query, operation, request_body
from eventhub.core.errors import NotFound
from eventhub.core.urls import external_url
from eventhub.events import services as event_services
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db, limiter
from eventhub.registration import services as reg_services
from eventhub.registration.models import Registration
from eventhub.tickets import codes

bp = Blueprint("api", __name__, url_prefix="/api/v1")


# --- helpers --------------------------------------------------------------------------------------------------

@bp.after_app_request
def _record_token_use(response: Response) -> Response:
    """Token usage is written here, once per LAST_USED_PRECISION, after the view and its commit point (and after
    the body, read before the view: eventhub.core.http), in a short transaction of its own: never on the way in,
    where it held the write lock while a slow client sent its body."""
    record_use()  # the request's own unit of work has ended (eventhub.core.pipeline)
    return response


def event_out(event: Event) -> schemas.EventOut:
    return schemas.EventOut(
        id=event.id, slug=event.slug, title=event.title, description=event.description, venue=event.venue,
        room=event.room, timezone=event.timezone, starts_at=event.starts_at, ends_at=event.ends_at,
        registration_opens_at=event.registration_opens_at, registration_closes_at=event.registration_closes_at,
        capacity=event.capacity, seats_left=event.seats_left, remote_enabled=event.remote_enabled,
        remote_capacity=event.remote_capacity, languages=event.language_list, status=event.status,
        url=external_url("events.public_page", slug=event.slug),
    )


def registration_out(registration: Registration, positions: dict[int, int] | None = None) -> schemas.RegistrationOut:
    """`positions`: every waitlist position of the event, when a list already computed them in one query."""
    ticket = registration.ticket
    return schemas.RegistrationOut(
        id=registration.id, event_id=registration.event_id, name=registration.name, email=registration.email,
        organization=registration.organization, job_title=registration.job_title, country=registration.country,
        mode=registration.mode, status=registration.status,
        waitlist_position=(reg_services.waitlist_position(registration) if positions is None
                           else positions.get(registration.id)),
        created_at=registration.created_at,
        ticket=schemas.TicketOut(
            code=ticket.code, url=external_url("registration.ticket", code=ticket.code),
            png_url=external_url("registration.ticket_png", code=ticket.code), issued_at=ticket.issued_at,
            revoked=False,
        ) if ticket else None,
    )


def _public_event(event_id: int) -> Event:
    event = db.session.get(Event, event_id)
    token = bearer_token()
    if event is None or (event.status == EventStatus.DRAFT and (token is None or token.event_id != event_id)):
        raise NotFound("event_not_found", _("No such event."))
    return event


# --- events ---------------------------------------------------------------------------------------------------

@bp.get("/events")
@operation("listEvents", "Published upcoming events", responses={200: schemas.EventList})
def list_events():
    return {"items": [event_out(e) for e in event_services.upcoming_public_events()]}


@bp.get("/events/<int:event_id>")
@operation("getEvent", "One event", responses={200: schemas.EventOut}, errors=(404,))
def get_event(event_id: int):
    return event_out(_public_event(event_id))


@bp.patch("/events/<int:event_id>")
@operation("patchEvent", "Edit an event", body=schemas.EventPatch, responses={200: schemas.EventOut},
           errors=(401, 403, 404, 409, 422))
@token_required
def patch_event(event_id: int):
    event = event_services.get_event(event_id)
    patch: schemas.EventPatch = request_body()
    data = event_services.event_data_of(event)
    for name, value in patch.model_dump(exclude_unset=True).items():
        if value is None and name not in ("remote_capacity", "registration_opens_at", "registration_closes_at"):
            continue
        setattr(data, name, tuple(value) if name == "languages" else value)
    event_services.update_event(event, data)
    return event_out(event)


@bp.get("/events/<int:event_id>/public-key")
@operation("getPublicKey", "The Ed25519 key that verifies this event's ticket codes",
           responses={200: schemas.PublicKey}, errors=(404,))
def public_key(event_id: int):
    event = _public_event(event_id)
    key = base64.urlsafe_b64encode(codes.public_key_bytes(event.signing_key)).decode().rstrip("=")
    return schemas.PublicKey(event_id=event.id, algorithm="Ed25519", public_key=key,
                             code_version=codes.VERSION)


# --- registrations --------------------------------------------------------------------------------------------

@bp.post("/events/<int:event_id>/registrations")
@operation("createRegistration", "Register a person (public, or as the organizer with a token)",
           body=schemas.RegistrationIn, responses={201: schemas.RegistrationOut}, errors=(404, 409, 422, 429),
           security="public_or_token", descriptions={201: "Registered (confirmed or waitlisted)"})
@limiter.limit("30 per minute; 300 per hour", exempt_when=lambda: token_for_this_event() is not None)
def create_registration(event_id: int):
    event = _public_event(event_id)
    token = bearer_token()
    body: schemas.RegistrationIn = request_body()
    by_organizer = token is not None and token.event_id == event_id
    result = reg_services.register(
        event, reg_services.RegistrationData(**body.model_dump()), source="api",
        require_consent=not by_organizer,
    )
    # The position the service read under the seat claim's lock (counting again later missed people ahead whose
    # transaction had not committed yet: duplicate positions in a burst).
    position = result.waitlist_position
    return registration_out(result.registration, {} if position is None else {result.registration.id: position}), 201


@bp.get("/events/<int:event_id>/registrations")
@operation("listRegistrations", "Registrations (search and filter)", responses={200: schemas.RegistrationPage},
           errors=(401, 403, 404), query=[Query(n) for n in ("q", "mode", "status", "country")]
           + [Query("limit", "integer"), Query("offset", "integer")])
@token_required
def list_registrations(event_id: int):
    event = event_services.get_event(event_id)
    limit = min(max(request.args.get("limit", 100, type=int) or 100, 1), 1000)
    offset = max(request.args.get("offset", 0, type=int) or 0, 0)
    flt = reg_services.RegistrationFilter(
        q=request.args.get("q", ""), mode=request.args.get("mode", ""), status=request.args.get("status", ""),
        country=request.args.get("country", ""),
    )
    rows, total = reg_services.search_registrations(event, flt, limit=limit, offset=offset)
    positions = reg_services.waitlist_positions(event)
    return {"items": [registration_out(r, positions) for r in rows], "total": total, "limit": limit,
            "offset": offset}


@bp.get("/events/<int:event_id>/registrations/<int:registration_id>")
@operation("getRegistration", "One registration", responses={200: schemas.RegistrationOut}, errors=(401, 403, 404))
@token_required
def get_registration(event_id: int, registration_id: int):
    event = event_services.get_event(event_id)
    return registration_out(reg_services.get_registration(event, registration_id))


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/cancel")
@operation("cancelRegistration", "Cancel; the next person waiting is promoted",
           responses={200: schemas.RegistrationOut}, errors=(401, 403, 404, 409))
@token_required
def cancel_registration(event_id: int, registration_id: int):
    registration = reg_services.get_registration(event_services.get_event(event_id), registration_id)
    reg_services.cancel_registration(registration)
    return registration_out(registration)


@bp.post("/events/<int:event_id>/registrations/<int:registration_id>/revoke-ticket")
@operation("revokeTicket", "Revoke the ticket in force", responses={200: schemas.RegistrationOut},
           errors=(401, 403, 404, 409))
@token_required
def revoke_ticket(event_id: int, registration_id: int):
    registration = reg_services.get_registration(event_services.get_event(event_id), registration_id)
    reg_services.revoke_ticket(registration)
    return registration_out(registration)


# --- tickets --------------------------------------------------------------------------------------------------

@bp.get("/tickets/<code>")
@operation("getTicket", "Status of a ticket", responses={200: schemas.TicketStatus}, errors=(404, 429))
@limiter.limit("60 per minute")
def ticket_status(code: str):
    try:
        ticket = reg_services.find_ticket(code)
    except reg_services.TicketLookupError:
        raise NotFound("ticket_not_found", _("This is not a valid ticket.")) from None
    registration = ticket.registration
    return schemas.TicketStatus(
        event_id=ticket.event_id, status=registration.status, mode=registration.mode,
        revoked=ticket.revoked_at is not None, name=registration.name,
    )


@bp.get("/openapi.json")
@operation("getOpenApi", "This document", responses={200: {"type": "object"}},
           descriptions={200: "The OpenAPI 3.1 document"})
def openapi():
    return build_openapi(current_app)
