"""Check-in fixtures: a small event in Bamako with its main entrance, door staff, and people who registered."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from eventhub.checkin import services as ci
from eventhub.checkin.models import CheckInPoint
from eventhub.core.db import commit
from eventhub.registration import services as reg
from eventhub.registration.models import Registration

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
