"""Route guards. Every protected view names the roles it admits."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort, g
from flask_login import current_user

from eventhub.auth.models import Role
from eventhub.auth.services import has_role
from eventhub.events.models import Event
from eventhub.extensions import db, login_manager


def event_role_required(*roles: Role) -> Callable:
    """For views with an `event_id` argument: signed in and holding one of `roles` (admins always pass).

    The loaded event is stored in `g.event`.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            event = db.session.get(Event, kwargs.get("event_id"))
            if event is None:
                abort(404)
            if not has_role(current_user, event, *roles):
                abort(403)
            g.event = event
            return view(*args, **kwargs)

        wrapped.allowed_roles = roles  # type: ignore[attr-defined]
        return wrapped

    return decorator


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapped
