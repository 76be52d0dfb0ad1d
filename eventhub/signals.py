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
# schedule: sender is the AgendaSession, flushed, after create_session (created=True) and update_session
# (created=False). The Q&A makes a new session's settings and the stage a staged kind's stage there, so the rows
# exist before any page shows them and no page creates them on a GET.
session_saved = _signals.signal("session-saved")
# schedule: sender is the AgendaSession; kwargs: changes=
session_changed = _signals.signal("session-changed")
# registration and qa: sender is the Event; kwargs: session_ids= (published sessions a ticket lists). Receivers (the
# stage) return the ids among them that have a stage a confirmed ticket's holder may watch (`stage.attendee`). Read
# before a registration's seat claim: one query, no lock.
staged_sessions_collect = _signals.signal("staged-sessions-collect")
# checkin: sender is the CheckIn
checked_in = _signals.signal("checked-in")
# floor: sender is the Speech; the stage brings a remote speaker live or sends them backstage
speech_started = _signals.signal("speech-started")
speech_ended = _signals.signal("speech-ended")
# floor: sender is the interpretation Channel whose interpreter link was just revoked (inside that transaction):
# the interpreter's media tokens leave Janus and their live connections end, after the commit
interpreter_link_revoked = _signals.signal("interpreter-link-revoked")
# stage: sender is the Stage, inside the transaction that ended it (its Janus room goes after the commit); the
# floor's interpretation rooms follow it
stage_ended = _signals.signal("stage-ended")
# checkin: sender is the event id (int); sent inside the transaction that admitted or undid a check-in there
checkins_changed = _signals.signal("checkins-changed")
# qa: sender is the AgendaSession's id (int); kwargs: kind= ("question" | "poll" | "settings"); sent inside the
# transaction that changed a question or poll (receivers defer their work with core.db.on_commit)
qa_activity = _signals.signal("qa-activity")
# report: sender is the Event; kwargs: session_ids= (the ids the report covers). Receivers (the floor's speaking
# time per delegation, the stage…) return a list of sections, see eventhub.report.data.provided_sections; a
# section appears in the report only when a provider returns rows for it.
report_collect = _signals.signal("report-collect")
# checkin: sender is the Event's id (int); sent inside the transaction that admitted or undid a check-in
checkin_counters_changed = _signals.signal("checkin-counters-changed")
# report: sender is the Event; no kwargs. Receivers (the floor: who is speaking and their remaining time; the
# stage: its media server's health) return a list of {"key": str, "title": str, "rows": [[str | int, ...]]}
# shown on the live dashboard; called for every snapshot, so a receiver must be cheap (no query per row).
dashboard_collect = _signals.signal("dashboard-collect")
# media: sender is the Janus server's name (str); kwargs: stages= (list of stage ids this process had on it). Sent
# from the pool's health loop (inside an app context) when the server missed its keepalives and was taken out; the
# stage area re-creates those rooms on `current_pool().pick()` and tells the clients to rejoin.
janus_server_down = _signals.signal("janus-server-down")
# media: sender is the Janus server's name (str); the server answers its keepalives again
janus_server_up = _signals.signal("janus-server-up")
