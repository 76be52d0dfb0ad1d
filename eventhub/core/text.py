"""Cleaning what people type, one definition each: a one-line text (names, titles, questions) and an email
address as it is compared and stored."""

from __future__ import annotations

from eventhub.core.errors import strip_control

EMAIL_MAX = 254  # the longest address SMTP carries (RFC 5321)


def one_line(text: object) -> str:
    """Control characters (NUL: PostgreSQL refuses it) removed, whitespace runs collapsed to one space."""
    return " ".join(strip_control(str(text or "")).split())


def normalise_email(email: str) -> str:
    """The form an address is stored and looked up in (accounts, registrations): no control characters, trimmed,
    lower case."""
    return strip_control(email).strip().lower()
