"""Demo schedule for the two scenario events (../shared/SCENARIO.md); all people are fictional."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from eventhub.auth.models import User
from eventhub.events.models import Event
from eventhub.schedule import panelists as pan
from eventhub.schedule import services
from eventhub.schedule.models import ParticipationMode


def _at(event: Event, hh: int, mm: int) -> datetime:
    day = event.starts_at.astimezone(ZoneInfo(event.timezone)).date()
    return datetime.combine(day, time(hh, mm), tzinfo=ZoneInfo(event.timezone))


def _person(event: Event, name: str, title: str, org: str, country: str, mode: str, zone: str,
            email: str = "") -> int:
    return pan.create_panelist(event, pan.PanelistData(
        name=name, email=email, title=title, organization=org, country=country, mode=mode, timezone=zone)).id


def load_schedule_demo(round_table: Event, connect: Event, *, moderator: User, panelist_user: User) -> None:
    remote, stage = ParticipationMode.REMOTE.value, ParticipationMode.ON_STAGE.value
    # --- Table ronde Algérie–Mali ---
    hall = services.create_room(round_table, services.RoomData(name="Salle principale", capacity=100,
                                                               has_stream=True))
    p = {
        "ambassador": _person(round_table, "Karim Saïdi", "Ambassadeur d'Algérie au Mali", "Ambassade d'Algérie",
                              "DZ", stage, "Africa/Bamako"),
        "coordinator": _person(round_table, "Moussa Keïta", "Coordinateur", "Mali Digital Awards", "ML", stage,
                               "Africa/Bamako"),
        "min_ml": _person(round_table, "Aïssata Diallo", "Ministre de l'économie numérique", "Gouvernement du Mali",
                          "ML", stage, "Africa/Bamako"),
        "min_dz": _person(round_table, "Yacine Boudiaf",
                          "Ministre de l'économie de la connaissance, des start-up et des micro-entreprises",
                          "Gouvernement algérien", "DZ", remote, "Africa/Algiers", email="ministre@example.dz"),
        "ml1": _person(round_table, "Fatoumata Coulibaly", "Directrice", "Incubateur Bamako", "ML", stage,
                       "Africa/Bamako"),
        "ml2": _person(round_table, "Oumar Sangaré", "Directeur réseau", "Sotelma", "ML", stage, "Africa/Bamako"),
        "dz1": _person(round_table, "Nadia Hamidi", "Directrice", "Incubateur Sidi Abdellah", "DZ", remote,
                       "Africa/Algiers", email=panelist_user.email),
        "dz2": _person(round_table, "Amina Bouzid", "Ingénieure satellites", "Agence spatiale algérienne", "DZ",
                       remote, "Africa/Algiers", email="amina.bouzid@example.dz"),
    }
    moderators = [moderator.id]
    sessions = [
        ("Accueil : mot de l'ambassadeur et de la coordination MDA", "opening", (9, 0), (9, 15),
         [p["ambassador"], p["coordinator"]], []),
        ("Ouverture officielle", "opening", (9, 15), (9, 45), [p["min_ml"], p["min_dz"]], moderators),
        ("Session 1 — État des lieux du numérique et des start-up dans les deux pays", "panel", (10, 0), (11, 15),
         [p["ml1"], p["ml2"], p["dz1"], p["dz2"]], moderators),
        ("Pause", "break", (11, 15), (11, 30), [], []),
        ("Session 2 — Opportunités de partenariat et de coopération", "panel", (11, 30), (13, 0),
         [p["ml1"], p["ml2"], p["dz1"], p["dz2"]], moderators),
        ("Synthèse et recommandations", "networking", (13, 0), (13, 30), [], moderators),
    ]
    descriptions = {
        "Session 2 — Opportunités de partenariat et de coopération": (
            "Incubation, fibre optique sur la dorsale africaine, capacités satellitaires algériennes, formation aux "
            "métiers du numérique, programmes d'immersion, banque de financement des start-up, co-entreprises, "
            "logistique numérisée, cybersécurité y compris la sécurité des frontières. Questions de la salle et "
            "des participants à distance."),
    }
    for title, kind, start, end, people, mods in sessions:
        services.create_session(round_table, services.SessionData(
            title=title, kind=kind, starts_at=_at(round_table, *start), ends_at=_at(round_table, *end),
            room_id=hall.id, languages=("fr", "ar"), description=descriptions.get(title, ""),
            meeting_url="https://meet.example.org/table-ronde" if any(
                pid in (p["min_dz"], p["dz1"], p["dz2"]) for pid in people) else "",
            livestream_url="https://live.example.org/table-ronde", panelists=[(pid, None) for pid in people],
            moderator_ids=mods))
    services.publish_schedule(round_table)

    # --- Mali Startup Connect: two rooms, parallel sessions, pitches, speakers in San Francisco ---
    room1 = services.create_room(connect, services.RoomData(name="Salle 1", capacity=300, has_stream=True))
    room2 = services.create_room(connect, services.RoomData(name="Salle 2", capacity=100, has_stream=False))
    sf = "America/Los_Angeles"
    q = {
        "adviser": _person(connect, "Boubacar Touré", "Conseiller technique du ministre", "Ministère de l'économie "
                           "numérique", "ML", stage, "Africa/Bamako"),
        "agency": _person(connect, "Mariam Konaté", "Directrice générale", "Agence nationale des TIC", "ML", stage,
                          "Africa/Bamako"),
        "sf1": _person(connect, "Jordan Lee", "Partner", "Bay Accelerator", "US", remote, sf,
                       email="jordan@example.com"),
        "sf2": _person(connect, "Priya Raman", "Program director", "Valley Launchpad", "US", remote, sf,
                       email="priya@example.com"),
        "founder": _person(connect, "Kadiatou Traoré", "Fondatrice", "Start-up Kènè", "ML", stage, "Africa/Bamako"),
    }
    plan = [
        ("Ouverture", "opening", room1, (8, 30), (9, 0), [q["adviser"]]),
        ("Financer l'amorçage : regards de la Silicon Valley", "panel", room1, (16, 0), (17, 0),
         [q["sf1"], q["agency"]]),
        ("Atelier : candidater à un accélérateur", "panel", room2, (16, 0), (17, 0), [q["sf2"]]),
        ("Pitchs de start-up (le public vote les questions)", "pitch", room1, (10, 0), (11, 30), [q["founder"]]),
        ("Réseautage", "networking", room2, (12, 0), (13, 0), []),
    ]
    for title, kind, room, start, end, people in plan:
        services.create_session(connect, services.SessionData(
            title=title, kind=kind, room_id=room.id, starts_at=_at(connect, *start), ends_at=_at(connect, *end),
            languages=("fr", "en"), panelists=[(pid, None) for pid in people],
            meeting_url="https://meet.example.org/msc" if kind == "panel" else "",
            livestream_url="https://live.example.org/msc" if room is room1 else ""))
    services.publish_schedule(connect)
