"""Domain errors: a stable machine code plus a translatable message."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refused action. Routes turn it into a flash or a 4xx JSON body; sockets into an error ack."""

    status = 400

    def __init__(self, code: str, message: str, *, fields: dict[str, Any] | None = None, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def extra(self) -> dict[str, Any]:
        """Members the envelope carries beside "error" (e.g. the text saved meanwhile, on a conflict)."""
        return {}

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = self.fields
        return body


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class Conflict(DomainError):
    status = 409


class ValidationFailed(DomainError):
    status = 422


_CONTROL = {c: None for c in range(32) if c not in (9, 10, 13)} | {127: None}


def strip_control(text: str) -> str:
    """Remove NUL and other control characters (PostgreSQL refuses NUL in text; none belong in names)."""
    return text.translate(_CONTROL)
