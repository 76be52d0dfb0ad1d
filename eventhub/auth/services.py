"""Accounts, passwords, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import joinedload

from eventhub.auth.models import ApiToken, EventRole, Role, User
from eventhub.auth.passwords import passwords
from eventhub.core.errors import Conflict, Forbidden, NotFound, ValidationFailed, strip_control
from eventhub.core.text import normalise_email as normalise_email
from eventhub.core.types import utcnow
from eventhub.events.models import Event
from eventhub.extensions import db

MIN_PASSWORD_LENGTH = 10
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_password(password: str) -> str:
    return passwords().hasher.hash(password)


def check_password_strength(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(
            "weak_password", _l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
            fields={"password": [str(_l("Use at least %(n)d characters.", n=MIN_PASSWORD_LENGTH))]},
        )


def get_user_by_email(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def create_user(email: str, name: str, password: str | None = None, *, is_admin: bool = False) -> User:
    if get_user_by_email(email):
        raise Conflict("email_taken", _l("An account with this email already exists."))
    if password is not None:
        check_password_strength(password)
    user = User(
        email=normalise_email(email), name=strip_control(name).strip()[:200], is_admin=is_admin,
        password_hash=hash_password(password) if password else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    user = get_user_by_email(email)
    if user is None or not user.password_hash or not user.is_active_account:
        try:
            passwords().hasher.verify(passwords().dummy_hash, password)
        except VerificationError:
            pass
        return None
    hasher = passwords().hasher
    try:
        hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    check_password_strength(password)
    user.password_hash = hash_password(password)
    user.session_version += 1  # ends other sessions and spends outstanding reset links


def load_user_from_session_id(user_id: str) -> User | None:
    try:
        raw_id, raw_version = user_id.split(":", 1)
        user = db.session.get(User, int(raw_id))
    except (ValueError, TypeError):
        return None
    if user is None or str(user.session_version) != raw_version or not user.is_active_account:
        return None
    return user


# --- password reset -------------------------------------------------------------------------------------------

def live_account(user_id: int, session_version: int | None) -> User:
    """The account a live connection signed in as, re-read on each of its events: a bumped session_version (signed
    out everywhere, new password) or a deactivated account ends its rights (`session_ended`)."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active_account or user.session_version != session_version:
        raise Forbidden("session_ended", _l("Your session has ended. Please sign in again."))
    return user


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    # The session version is inside: setting a password bumps it, so a link works once.
    return _reset_serializer().dumps({"u": user.id, "v": user.session_version})


def user_from_reset_token(token: str) -> User | None:
    try:
        data = _reset_serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except (BadSignature, SignatureExpired):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or user.session_version != data.get("v"):
        return None
    return user


# --- roles ----------------------------------------------------------------------------------------------------

def has_role(user: User | None, event: Event | int, *roles: Role) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_admin:
        return True
    event_id = event if isinstance(event, int) else event.id
    return any(r.event_id == event_id and r.role in roles for r in user.roles)


def roles_for(user: User, event: Event) -> set[Role]:
    if user.is_admin:
        return set(Role)
    return {r.role for r in user.roles if r.event_id == event.id}


def can_create_events(user: User) -> bool:
    return user.is_admin or any(r.role == Role.ORGANIZER for r in user.roles)


def grant_role(event: Event, user: User, role: Role) -> EventRole:
    existing = db.session.scalar(
        db.select(EventRole).where(EventRole.event_id == event.id, EventRole.user_id == user.id, EventRole.role == role)
    )
    if existing:
        return existing
    grant = EventRole(event_id=event.id, user_id=user.id, role=role)
    db.session.add(grant)
    user.roles.append(grant)
    db.session.flush()
    return grant


def revoke_role(event: Event, user: User, role: Role) -> None:
    grant = db.session.scalar(
        db.select(EventRole).where(EventRole.event_id == event.id, EventRole.user_id == user.id, EventRole.role == role)
    )
    if grant is None:
        raise NotFound("role_not_found", _l("This person does not have that role."))
    if role == Role.ORGANIZER:
        organizers = db.session.scalar(
            db.select(db.func.count()).select_from(EventRole)
            .where(EventRole.event_id == event.id, EventRole.role == Role.ORGANIZER)
        )
        if organizers <= 1:
            raise Conflict("last_organizer", _l("An event needs at least one organizer."))
    db.session.delete(grant)
    user.session_version += 1  # live connections and sessions lose the removed rights
    db.session.flush()


# --- API tokens -----------------------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_token(event: Event, by: User, name: str) -> tuple[ApiToken, str]:
    """Returns the token row and the plaintext, which is shown once and never stored."""
    plaintext = "eh_" + secrets.token_urlsafe(32)
    token = ApiToken(
        event_id=event.id, created_by_id=by.id, name=name.strip()[:100] or "API", prefix=plaintext[:10],
        token_hash=_token_hash(plaintext),
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def token_inactive_reason(token: ApiToken) -> str | None:
    """Why a token no longer works (None: it works). A token acts with its creator's rights on its event, so it
    dies with them: checked at each use, not only when the role is removed."""
    if token.revoked_at is not None:
        return str(_l("revoked"))
    if not token.created_by.is_active_account:
        return str(_l("the account of its creator is deactivated"))
    if not has_role(token.created_by, token.event_id, Role.ORGANIZER):
        return str(_l("its creator is no longer an organizer of this event"))
    return None


def authenticate_api_token(plaintext: str) -> ApiToken | None:
    """The live token behind a plaintext, or None. Never writes: recording the use is `record_token_use`'s job,
    in its own short transaction once the request body has been read (a write here held SQLite's write lock, or
    the token row's lock on PostgreSQL, while a slow client sent its body)."""
    if not plaintext or len(plaintext) > 200:
        return None
    # The creator and their roles come with the token: the checks below read both on every call.
    token = db.session.execute(db.select(ApiToken).where(ApiToken.token_hash == _token_hash(plaintext))
                               .options(joinedload(ApiToken.created_by).joinedload(User.roles))
                               ).unique().scalar_one_or_none()
    if token is None or token_inactive_reason(token) is not None:
        return None
    return token


def token_use_due(token_id: int, last_used_at: datetime | None, *, now: datetime | None = None) -> bool:
    """Whether this use of the token should be written: at most once per LAST_USED_PRECISION per token, so
    read-only calls take no write lock at all in between."""
    return last_used_at is None or (now or utcnow()) - last_used_at > LAST_USED_PRECISION


def record_token_use(token_id: int, *, now: datetime | None = None) -> bool:
    """Stores `last_used_at` in a transaction of its own, on a connection of its own (the request's session may
    hold anything). Conditional, so concurrent requests with one token write it once. True when written."""
    now = now or utcnow()
    with db.engine.begin() as conn:
        written = conn.execute(
            db.update(ApiToken)
            .where(ApiToken.id == token_id,
                   db.or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_PRECISION))
            .values(last_used_at=now)
        ).rowcount
    return bool(written)


def revoke_api_token(token: ApiToken) -> None:
    token.revoked_at = token.revoked_at or utcnow()
