"""Every GET page of the demo data, with real ids, tokens and keys: what the pipeline's "GET never writes" walk and
the Arabic "every page reads right to left" walk open, as each demo account."""

from __future__ import annotations

import itertools
from typing import Any

from eventhub.core.db import commit
from eventhub.demo.data import DEMO_LOGINS, load_demo
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.floor import channels
from eventhub.floor.models import Channel
from eventhub.registration.models import Registration, Ticket
from eventhub.report import services as report_services
from eventhub.report.models import DashboardShare, ReportVersion
from eventhub.schedule import panelists as pan
from eventhub.schedule.models import AgendaSession, Panelist, Room
from eventhub.stage.models import Stage

KEYED = {"stage.screen", "stage.room_feed"}


def values() -> dict[str, Any]:
    def ids(model, limit: int = 2) -> list:  # noqa: ANN001
        return list(db.session.scalars(db.select(model.id).order_by(model.id).limit(limit)))

    tokens = [pan.make_link_token(p) for p in db.session.scalars(db.select(Panelist).limit(2))]
    tokens += [channels.make_link_token(c) for c in db.session.scalars(db.select(Channel).limit(2))]
    tokens += [report_services.share_token(s) for s in db.session.scalars(db.select(DashboardShare).limit(2))]
    return {
        "event_id": ids(Event), "session_id": ids(AgendaSession, 3), "slug": list(db.session.scalars(
            db.select(Event.slug).limit(2))), "code": list(db.session.scalars(db.select(Ticket.code).limit(2))),
        "panelist_id": ids(Panelist), "registration_id": ids(Registration), "room_id": ids(Room),
        "version_id": ids(ReportVersion), "token": tokens,
        "screen_key": dict(db.session.execute(db.select(Stage.session_id, Stage.screen_key)).all()),
    }


def get_urls(app, values: dict[str, Any]) -> list[tuple[str, str]]:  # noqa: ANN001
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint == "static" or "filename" in rule.arguments:
            continue
        names = sorted(rule.arguments)
        if any(not values.get(n) for n in names):
            continue
        for combo in itertools.islice(itertools.product(*(values[n] for n in names)), 6):
            args = dict(zip(names, combo, strict=True))
            if rule.endpoint in KEYED:  # the hall's pages open with their stage's key, else they are a 404
                args["key"] = values["screen_key"].get(args["session_id"], "no-stage")
            urls.append((rule.endpoint, rule.build(args, append_unknown=True)[1]))
    return urls


def walk_as(app, client, role: str | None) -> list[tuple[str, str]]:  # noqa: ANN001
    """The demo data loaded, `client` signed in as the demo account `role` (None: nobody), and the pages to open."""
    load_demo()
    commit()
    if role is not None:
        signed = client.post("/login", data={"email": DEMO_LOGINS["accounts"][role],
                                             "password": DEMO_LOGINS["password"]})
        assert signed.status_code == 302
    urls = get_urls(app, values())
    db.session.remove()
    return urls
