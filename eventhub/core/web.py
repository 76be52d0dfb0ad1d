"""Small helpers shared by the HTML views of every feature package."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash

from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.extensions import db


def perform(action: Callable[[], object], done: str) -> bool:
    """Run a service call as one form POST: commit and flash `done`, or roll back and flash the refusal."""
    try:
        action()
        commit()
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
        return False
    flash(done, "success")
    return True
