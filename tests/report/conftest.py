"""Report fixtures: the round table with registrations from four countries, check-ins, two sessions with Q&A and a
poll, a rapporteur with a summary and recommendations. Built through the services (no shortcuts)."""

from __future__ import annotations

import shutil
from datetime import timedelta
from types import SimpleNamespace

import pytest

from eventhub.auth.models import Role
from eventhub.auth.services import grant_role
from eventhub.checkin import services as checkin
from eventhub.checkin.models import PointKind
from eventhub.core.db import commit
from eventhub.extensions import db
from eventhub.qa import ballots, polls
from eventhub.qa import participants as pt
from eventhub.qa import services as qa
from eventhub.registration import services as reg
from eventhub.report import services
from eventhub.report.services import RecommendationData
from eventhub.schedule import panelists as pan
from eventhub.schedule import services as sched

PEOPLE = [  # name, country, mode, organization type, listed
    ("Aminata Traoré", "ML", "in_person", "government", True),
    ("Karim Benali", "DZ", "in_person", "operator", True),
    ("Moussa Keïta", "ML", "in_person", "startup", True),
    ("Salima Haddad", "DZ", "remote", "startup", True),
    ("Oumar Sidibé", "ML", "in_person", "academic", False),
    ("Lina Cherif", "DZ", "in_person", "government", True),
    ("Fatou Diop", "SN", "remote", "association", True),
    ("Jean Martin", "FR", "in_person", "", True),
    ("Ibrahim Coulibaly", "ML", "remote", "operator", False),
    ("Nour Amrani", "DZ", "in_person", "company", True),
]
CHECKED_IN = {0, 1, 2, 4, 5, 9}  # indexes admitted at the entrance
SESSION_SCANS = {0, 1, 5}  # admitted at session 1's room point
TOOLS = {name: shutil.which(name) for name in ("pdftotext", "pdftoppm", "pdffonts")}


@pytest.fixture
def rt(ctx, make_event, make_user):
    organizer = make_user("organisation@mda.ml", "Coordination MDA")
    moderator = make_user("moderation@mda.ml", "Modératrice")
    rapporteur = make_user("rapporteur@mda.ml", "Rapporteur Un")
    rapporteur2 = make_user("rapporteur2@mda.ml", "Rapporteur Deux")
    other_rapporteur = make_user("autre@mda.ml", "Rapporteur Autre")
    event = make_event(organizer=organizer, title="Table ronde Algérie–Mali")
    for user, role in ((moderator, Role.MODERATOR), (rapporteur, Role.RAPPORTEUR), (rapporteur2, Role.RAPPORTEUR),
                       (other_rapporteur, Role.RAPPORTEUR)):
        grant_role(event, user, role)
    p1 = pan.create_panelist(event, pan.PanelistData(name="Aïssata Diallo", country="ML", organization="MENC"))
    p2 = pan.create_panelist(event, pan.PanelistData(name="Yacine Boudiaf", country="DZ", mode="remote",
                                                     timezone="Africa/Algiers", organization="ASAL"))
    s1 = sched.create_session(event, sched.SessionData(
        title="Panel 1 — Infrastructures", starts_at=event.starts_at, ends_at=event.starts_at + timedelta(hours=1),
        kind="panel", panelists=[(p1.id, None), (p2.id, None)], moderator_ids=[moderator.id]))
    s2 = sched.create_session(event, sched.SessionData(
        title="Panel 2 — Financement", starts_at=event.starts_at + timedelta(hours=2),
        ends_at=event.starts_at + timedelta(hours=3), kind="panel", panelists=[(p1.id, None)]))
    sched.publish_schedule(event)
    regs = []
    for i, (name, country, mode, org_type, listed) in enumerate(PEOPLE):
        regs.append(reg.register(event, reg.RegistrationData(
            name=name, email=f"p{i}@example.org", country=country, mode=mode, organization=f"Org {i}",
            organization_type=org_type, listed=listed, consent=True)).registration)
    entrance = checkin.ensure_default_point(event)[0]
    room = checkin.add_point(event, "Salle panel 1", kind=PointKind.SESSION, agenda_session_id=s1.id)
    for i in CHECKED_IN:
        checkin.check_in(regs[i].ticket.code, by=organizer, point=entrance)
    for i in SESSION_SCANS:
        checkin.check_in(regs[i].ticket.code, by=organizer, point=room)
    commit()
    people = [pt.from_ticket(r.ticket.code) for r in regs]
    q = []
    for i, text in enumerate(["Quel calendrier pour la fibre transsaharienne ?", "Comment financer les incubateurs ?",
                              "Quelle capacité satellitaire pour le Sahel ?", "Question hors sujet"]):
        q.append(qa.ask(s1, people[i], text))
    q.append(qa.ask(s2, people[4], "Quels fonds d'amorçage communs ?"))
    commit()
    for question in (q[0], q[1], q[2], q[4]):
        qa.moderate(question, "approve", by=moderator)
    qa.moderate(q[3], "reject", by=moderator, reason="hors sujet")
    qa.moderate(q[0], "answer", by=moderator)
    commit()
    for i in (5, 6, 7):
        ballots.toggle_vote(q[0], people[i], True)
    ballots.toggle_vote(q[1], people[5], True)
    poll = polls.create_poll(s1, "Priorité n°1 ?", ["Fibre", "Satellite", "Formation"])
    polls.set_state(poll, "open")
    commit()
    opts = [o.id for o in poll.options]
    for i, choice in ((0, 0), (1, 0), (2, 1), (3, 2), (5, 0)):
        polls.vote(poll, people[i], [opts[choice]])
    polls.set_state(poll, "close")
    services.assign_rapporteur(s1, rapporteur)
    services.assign_rapporteur(s1, rapporteur2)
    services.assign_rapporteur(s2, other_rapporteur)
    services.save_summary(s1, "Les participants ont souligné l'urgence de la dorsale en fibre optique.",
                          base_version=0, by=rapporteur)
    services.add_recommendation(s1, RecommendationData(
        title="Interconnecter les dorsales", text="Relier Alger et Bamako par fibre.", domain="fibre", actor="both",
        priority="high"), by=rapporteur)
    services.add_recommendation(s1, RecommendationData(
        title="Programme d'immersion", text="Échanges de start-up.", domain="immersion", actor="operators",
        priority="medium"), by=rapporteur)
    services.add_recommendation(s1, RecommendationData(
        title="Fonds d'amorçage", text="", domain="financing", actor="algeria", priority="low"), by=rapporteur)
    commit()
    for obj in (event, s1, s2, organizer, moderator, rapporteur, rapporteur2, other_rapporteur, poll):
        db.session.refresh(obj)
    return SimpleNamespace(event=event, s1=s1, s2=s2, organizer=organizer, moderator=moderator, rapporteur=rapporteur,
                           rapporteur2=rapporteur2, other_rapporteur=other_rapporteur, regs=regs, questions=q,
                           poll=poll, entrance=entrance)
