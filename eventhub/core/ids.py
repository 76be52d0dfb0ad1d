"""Ids a client sends. Primary keys are 32-bit INTEGER columns: anything outside 1..MAX_ID names no row (and
PostgreSQL or SQLite would refuse it with an error rather than find nothing), as would a bool or a string.
The one definition, used by the URL converter, pydantic schemas, forms and services."""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import Field

from eventhub.extensions import db

T = TypeVar("T")

MAX_ID = 2**31 - 1
Id = Annotated[int, Field(gt=0, le=MAX_ID)]  # in a pydantic payload


def valid_id(value: object) -> bool:
    """A row id the database can hold (URLs and callers may pass 2**70, negatives or booleans)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def get_by_id(model: type[T], ident: object) -> T | None:
    """`db.session.get` for an id a client sent: None for anything no row can have."""
    return db.session.get(model, ident) if valid_id(ident) else None
