"""What a scan answers: the stable result codes (API, socket acks, offline sync, the log), their colour and message.

The scanner's offline judge (static/js/checkin-judge.js) answers with the same codes and reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from eventhub.checkin.models import CheckIn
from eventhub.registration.models import Registration

# Stable result codes (API, socket acks, offline sync, the log).
ADMITTED = "admitted"
ADMITTED_UPGRADE = "admitted_upgrade"
ALREADY = "already_checked_in"
UNREADABLE = "unreadable"
FORGED = "forged"
REVOKED = "revoked"
WAITLISTED = "waitlisted"
WRONG_EVENT = "wrong_event"
REMOTE_ONLY = "remote_only"
NOT_ENTERED = "not_entered"
DEVICE_REFUSED = "device_refused"  # detail of an offline scan the device refused but the server would admit
GREEN = {ADMITTED, ADMITTED_UPGRADE}
AMBER = {ALREADY, WAITLISTED, REMOTE_ONLY, NOT_ENTERED}

def result_message(code: str, detail: str = "") -> str:
    messages = {
        ADMITTED: _l("Welcome: admitted."),
        ADMITTED_UPGRADE: _l("Admitted into the room (remote ticket upgraded)."),
        ALREADY: _l("Already checked in."),
        UNREADABLE: _l("Not a ticket: the code cannot be read."),
        FORGED: _l("Forged ticket: the signature does not match this event."),
        REVOKED: _l("This ticket was cancelled or revoked."),
        WAITLISTED: _l("On the waiting list: not admitted."),
        WRONG_EVENT: _l("This ticket is for another event."),
        REMOTE_ONLY: _l("Remote ticket: not admitted in the room."),
        NOT_ENTERED: _l("Not checked in at the entrance yet."),
    }
    details = {
        "cancelled": _l("The registration was cancelled."),
        "reissued": _l("A newer ticket replaced this one."),
        "revoked": _l("The organizer revoked this ticket."),
        "no_seats": _l("No seats left in the room."),
        "upgrade_off": _l("Remote tickets are not admitted at the door for this event."),
        DEVICE_REFUSED: _l("Refused by the scanner while offline; not admitted."),
    }
    text = str(messages.get(code, code))
    return f"{text} {details[detail]}" if detail in details else text


@dataclass
class CheckInResult:
    code: str
    scan_id: int | None = None
    detail: str = ""
    registration: Registration | None = None
    checkin: CheckIn | None = None  # the new one, or the first one for `already_checked_in`
    replayed: bool = False  # answered from the log for a repeated nonce
    double_entry: bool = False
    time_clamped: bool = False  # an offline scan's device time was outside the sane window (see offline_window)
    extra: dict[str, Any] = field(default_factory=dict)
    _payload: dict[str, Any] | None = field(default=None, repr=False)

    def freeze(self) -> CheckInResult:
        """Build the answer now, inside the transaction, while the rows it names are loaded: after the commit
        they are expired and `to_dict` would reload the registration, the check-in, its point and scanner."""
        self._payload = None
        self._payload = self.to_dict()
        return self

    @property
    def color(self) -> str:
        return "green" if self.code in GREEN else "amber" if self.code in AMBER else "red"

    @property
    def admitted(self) -> bool:
        return self.code in GREEN

    def to_dict(self) -> dict[str, Any]:
        if self._payload is not None:
            return dict(self._payload)
        reg = self.registration
        out: dict[str, Any] = {
            "result": self.code, "color": self.color, "detail": self.detail,
            "message": result_message(self.code, self.detail), "scan_id": self.scan_id,
            "replayed": self.replayed, "double_entry": self.double_entry, "time_clamped": self.time_clamped,
            "attendee": None, "first": None,
        }
        if reg is not None and self.code != WRONG_EVENT:
            out["attendee"] = {"registration_id": reg.id, "name": reg.name, "organization": reg.organization,
                               "mode": reg.mode.value, "status": reg.status.value}
        if self.checkin is not None and self.code == ALREADY:
            out["first"] = checkin_summary(self.checkin)
        elif self.checkin is not None:
            out["checkin_id"] = self.checkin.id
        return out


def checkin_summary(c: CheckIn) -> dict[str, Any]:
    return {"checkin_id": c.id, "at": c.admitted_at.isoformat(), "point_id": c.point_id, "point": c.point.name,
            "by": c.by.name if c.by else "", "offline": c.offline}
