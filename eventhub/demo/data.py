"""Demo data modelled on ../shared/SCENARIO.md (all people are fictional).

Dates are placed relative to the day the data is loaded, so the demo always has upcoming events.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eventhub.auth.models import Role
from eventhub.auth.services import create_user, grant_role
from eventhub.core.types import utcnow
from eventhub.events.services import EventData, create_event, publish_event
from eventhub.floor.demo import load_floor_demo
from eventhub.qa.demo import load_qa_demo
from eventhub.registration.models import AttendanceMode
from eventhub.registration.services import RegistrationData, register
from eventhub.report.demo import load_report_demo
from eventhub.schedule.demo import load_schedule_demo

DEMO_PASSWORD = "bamako-2026"
DEMO_LOGINS: dict[str, Any] = {
    "password": DEMO_PASSWORD,
    "accounts": {
        "admin": "admin@eventhub.local",
        "organizer": "organisation@mda.ml",
        "moderator": "moderation@mda.ml",
        "door_staff": "accueil@cicb.ml",
        "panelist": "panel.alger@example.dz",
        "rapporteur": "rapport@mda.ml",
    },
}

ATTENDEES = [
    ("Aminata Traoré", "ML", "Orange Mali", "Directrice innovation", "in_person"),
    ("Moussa Keïta", "ML", "Mali Digital Awards", "Coordinateur", "in_person"),
    ("Fatoumata Diarra", "ML", "Incubateur Bamako", "Responsable programmes", "in_person"),
    ("Oumar Coulibaly", "ML", "Sotelma", "Ingénieur fibre optique", "in_person"),
    ("Mariam Sangaré", "ML", "Banque de développement du Mali", "Chargée d'affaires", "in_person"),
    ("Ibrahim Maïga", "ML", "AGETIC", "Chef de projet", "in_person"),
    ("Kadiatou Touré", "ML", "Start-up Kènè", "Fondatrice", "in_person"),
    ("Seydou Dembélé", "ML", "Logistique Sahel", "Directeur général", "in_person"),
    ("Awa Cissé", "ML", "École des métiers du numérique", "Formatrice", "in_person"),
    ("Bakary Sidibé", "ML", "CyberSécurité Mali", "Consultant", "in_person"),
    ("يوسف بن علي", "DZ", "Algérie Télécom", "Directeur coopération", "remote"),
    ("أمينة بوزيد", "DZ", "Agence spatiale algérienne", "Ingénieure satellites", "remote"),
    ("Karim Benali", "DZ", "Algeria Startup Fund", "Investment manager", "remote"),
    ("Nadia Hamidi", "DZ", "Incubateur Sidi Abdellah", "Directrice", "remote"),
    ("Sofiane Meziane", "DZ", "Ministère de l'économie de la connaissance", "Conseiller", "in_person"),
    ("Lamine Ouattara", "CI", "Côte d'Ivoire Digital", "Analyste", "remote"),
]


def _at(day: datetime, hh: int, mm: int, zone: str) -> datetime:
    return datetime.combine(day.date(), time(hh, mm), tzinfo=ZoneInfo(zone))


def load_demo() -> None:
    users = {
        role: create_user(email, name, DEMO_PASSWORD, is_admin=(role == "admin"))
        for (role, email), name in zip(
            DEMO_LOGINS["accounts"].items(),
            ["Administrateur EventHub", "Coordination MDA", "Modérateur Table ronde", "Accueil CICB",
             "Panéliste Alger", "Rapporteure Table ronde"], strict=True,
        )
    }
    today = utcnow().astimezone(ZoneInfo("Africa/Bamako"))
    day1 = today + timedelta(days=14)
    round_table = create_event(EventData(
        title="Table ronde Algérie–Mali : numérique et start-up",
        description=(
            "Organisée par l'ambassade d'Algérie au Mali et Mali Digital Awards (MDA). Ouverture par le ministre "
            "malien de l'économie numérique (en salle) et le ministre algérien de l'économie de la connaissance, "
            "des start-up et des micro-entreprises (à distance depuis Alger).\n\n"
            "Session 1 : État des lieux du numérique et des start-up dans les deux pays.\n"
            "Session 2 : Opportunités de partenariat et de coopération."
        ),
        venue="Centre International de Conférences de Bamako (CICB)", room="Salle principale",
        timezone="Africa/Bamako", starts_at=_at(day1, 9, 0, "Africa/Bamako"),
        ends_at=_at(day1, 13, 30, "Africa/Bamako"), capacity=100, remote_enabled=True, remote_capacity=None,
        languages=("fr", "ar"),
    ), by=users["organizer"])
    publish_event(round_table)

    day2 = today + timedelta(days=60)
    connect = create_event(EventData(
        title="Mali Startup Connect",
        description=(
            "Conférence co-organisée par le ministère malien de l'économie numérique et deux accélérateurs de "
            "la Silicon Valley. Intervenants à Bamako et à San Francisco, sessions parallèles dans deux salles, "
            "session de pitchs de start-up."
        ),
        venue="Centre International de Conférences de Bamako (CICB)", room="Salles 1 et 2",
        timezone="Africa/Bamako", starts_at=_at(day2, 8, 30, "Africa/Bamako"),
        ends_at=_at(day2, 18, 0, "Africa/Bamako"), capacity=400, remote_enabled=True, remote_capacity=1000,
        languages=("fr", "en"),
    ), by=users["organizer"])
    publish_event(connect)

    for event in (round_table, connect):
        grant_role(event, users["moderator"], Role.MODERATOR)
        grant_role(event, users["door_staff"], Role.DOOR_STAFF)
    grant_role(round_table, users["panelist"], Role.PANELIST)

    for i, (name, country, org, job, mode) in enumerate(ATTENDEES):
        email = f"participant{i + 1}@example.org"
        register(round_table, RegistrationData(
            name=name, email=email, country=country, organization=org, job_title=job,
            mode=AttendanceMode(mode), consent=True, locale="fr",
        ), source="organizer")

    load_schedule_demo(round_table, connect, moderator=users["moderator"], panelist_user=users["panelist"])
    load_qa_demo(round_table, connect, moderator=users["moderator"])
    load_floor_demo(round_table, moderator=users["moderator"])
    load_report_demo(round_table, rapporteur=users["rapporteur"], organizer=users["organizer"])
