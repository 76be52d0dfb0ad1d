"""Translated labels of the report's codes (domains, actors, priorities, kinds of organization, modes)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from eventhub.report.models import Actor, Domain, Priority

DOMAINS = {
    Domain.INCUBATION: _l("Incubation"),
    Domain.FIBRE: _l("Optical fibre on the African backbone"),
    Domain.SATELLITE: _l("Satellite capacity"),
    Domain.TRAINING: _l("Training"),
    Domain.IMMERSION: _l("Immersion programmes"),
    Domain.FINANCING: _l("Start-up financing"),
    Domain.JOINT_VENTURES: _l("Joint ventures"),
    Domain.LOGISTICS: _l("Digital logistics"),
    Domain.CYBERSECURITY: _l("Cyber-security"),
}
ACTORS = {
    Actor.MALI: _l("Institutions of Mali"),
    Actor.ALGERIA: _l("Institutions of Algeria"),
    Actor.OPERATORS: _l("Operators"),
    Actor.BOTH: _l("Both countries"),
}
PRIORITIES = {Priority.HIGH: _l("High"), Priority.MEDIUM: _l("Medium"), Priority.LOW: _l("Low")}
ORG_TYPES = {
    "government": _l("Government or public institution"), "operator": _l("Telecom operator"),
    "startup": _l("Start-up"), "company": _l("Company"), "academic": _l("University or research"),
    "association": _l("Association"), "international": _l("International organization"), "press": _l("Press"),
    "other": _l("Other"), "": _l("Not stated"),
}
MODES = {"on_stage": _l("In the room"), "remote": _l("Remote")}


def label(table: dict, code: str) -> str:
    for key, value in table.items():
        if str(key) == code:
            return str(value)
    return code
