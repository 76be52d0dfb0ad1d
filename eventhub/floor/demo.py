"""Demo floor for the round table's two sessions: the Mali and Algeria delegations with their budgets, the list of
speakers (panelists by country, the moderator to open), an Arabic interpretation channel. All people fictional."""

from __future__ import annotations

from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.floor import channels, services
from eventhub.schedule.models import AgendaSession

SESSIONS = ("Session 1", "Session 2")
DELEGATION_MINUTES = 25
SPEAKER_MINUTES = 5


def load_floor_demo(round_table: Event, *, moderator: User) -> None:
    sessions = db.session.scalars(db.select(AgendaSession).where(AgendaSession.event_id == round_table.id)
                                  .order_by(AgendaSession.starts_at)).all()
    for session in sessions:
        if not session.title.startswith(SESSIONS):
            continue
        services.update_settings(session, by=moderator, default_budget_seconds=SPEAKER_MINUTES * 60,
                                 show_timer_on_screen=True, hands_open=True)
        services.set_delegation(session, by=moderator, name="Mali", country="ML",
                                budget_seconds=DELEGATION_MINUTES * 60)
        services.set_delegation(session, by=moderator, name="Algérie", country="DZ",
                                budget_seconds=DELEGATION_MINUTES * 60)
        services.add_speaker(session, by=moderator, kind="moderator", user_id=moderator.id, budget_seconds=120)
        # Alternate the delegations: Mali, Algeria, Mali, Algeria.
        by_country: dict[str, list[int]] = {"ML": [], "DZ": []}
        for sp in session.panelists:
            by_country.setdefault(sp.panelist.country, []).append(sp.panelist_id)
        for ml, dz in zip(by_country["ML"], by_country["DZ"], strict=False):
            for pid in (ml, dz):
                services.add_speaker(session, by=moderator, kind="panelist", panelist_id=pid)
        channels.add_channel(session, by=moderator, language="ar", interpreter_name="Leïla Mansouri",
                             interpreter_email="interpretation.ar@example.org")
