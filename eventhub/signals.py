"""Signals between areas (blinker, which Flask ships).

An area announces what happened here; another area that must react connects a receiver in its own `register()`
(called by the app factory). Neither imports the other, so the areas stay free of import cycles. Receivers run
inside the sender's transaction: they flush, never commit; anything that must wait for the commit (mail,
broadcasts) goes through `core.db.on_commit`.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# registration: sender is the Event; kwargs: registration=
registration_cancelled = _signals.signal("registration-cancelled")
# tickets: sender is the Ticket; kwargs: reason=
ticket_revoked = _signals.signal("ticket-revoked")
# schedule: sender is the AgendaSession; kwargs: changes=
session_changed = _signals.signal("session-changed")
# checkin: sender is the CheckIn
checked_in = _signals.signal("checked-in")
# floor: sender is the Speech; the stage brings a remote speaker live or sends them backstage
speech_started = _signals.signal("speech-started")
speech_ended = _signals.signal("speech-ended")
# checkin: sender is the event id (int); sent inside the transaction that admitted or undid a check-in there
checkins_changed = _signals.signal("checkins-changed")
