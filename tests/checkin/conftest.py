"""Check-in fixtures: a small event in Bamako with its main entrance, door staff, and people who registered."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import has_app_context

from eventhub.auth.models import Role
from eventhub.auth.services import create_api_token, grant_role
from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckInPoint
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.registration import services as reg
from eventhub.registration.models import Registration
from tests.conftest import FreshContextClient

_n = iter(range(1, 1_000_000))


@pytest.fixture
def staff(make_user):
    return make_user("accueil@cicb.ml", "Accueil CICB")


@pytest.fixture
def event(make_event):
    return make_event(capacity=3, remote_capacity=10)


@pytest.fixture
def door(event) -> CheckInPoint:
    point = ci.ensure_default_point(event)[0]
    commit()
    return point


@pytest.fixture
def person(event) -> Callable[..., Registration]:
    def make(mode: str = "in_person", name: str = "Aminata Traoré", at=None) -> Registration:  # noqa: ANN001
        result = reg.register(at or event, reg.RegistrationData(
            name=name, email=f"door{next(_n)}@example.org", country="ML", mode=mode, organization="Orange Mali",
            consent=True))
        commit()
        return result.registration

    return make


# --- the route tests' world (tests/checkin/test_routes.py, test_input_validation.py) ------------------------------

@pytest.fixture
def world(make_user, make_event):
    """An event with its door, door staff, a moderator, an API token, and another event."""
    organizer = make_user("orga@mda.ml", "Coordination MDA")
    door_staff = make_user("accueil@cicb.ml", "Accueil CICB")
    moderator = make_user("moderation@mda.ml", "Modération")
    event = make_event(organizer=organizer)
    other = make_event(title="Mali Startup Connect")
    grant_role(event, door_staff, Role.DOOR_STAFF)
    grant_role(event, moderator, Role.MODERATOR)
    point = ci.ensure_default_point(event)[0]
    _t, token = create_api_token(event, organizer, "scanner 1")
    commit()

    class W:
        pass

    w = W()
    w.event, w.other, w.point, w.token = event, other, point, token
    w.organizer, w.door_staff, w.moderator = organizer, door_staff, moderator
    return w


@pytest.fixture
def end_test_transaction_before_requests(monkeypatch):
    """On SQLite every transaction takes the write lock (BEGIN IMMEDIATE, eventhub.core.db): the test's own
    session must not hold one open (e.g. after reading a ticket code) while a request runs in another session."""
    original = FreshContextClient.open

    def open_(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if has_app_context():
            db.session.commit()
        return original(self, *args, **kwargs)

    monkeypatch.setattr(FreshContextClient, "open", open_)
