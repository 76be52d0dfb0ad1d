"""Demo report data for the round table: a rapporteur per panel, summaries, recommendations, check-ins, kinds of
organization and one attendee who asked not to be listed (so the demo report shows every section)."""

from __future__ import annotations

from eventhub.auth.models import Role, User
from eventhub.auth.services import grant_role
from eventhub.checkin import services as checkin
from eventhub.events.models import Event
from eventhub.extensions import db
from eventhub.registration.models import Registration
from eventhub.report import services
from eventhub.report.services import RecommendationData
from eventhub.schedule.models import AgendaSession

ORG_TYPES = {
    "Orange Mali": "operator", "Sotelma": "operator", "Algérie Télécom": "operator", "AGETIC": "government",
    "Ministère de l'économie de la connaissance": "government", "Agence spatiale algérienne": "government",
    "Banque de développement du Mali": "company", "Logistique Sahel": "company", "Start-up Kènè": "startup",
    "Incubateur Bamako": "association", "Incubateur Sidi Abdellah": "association", "Mali Digital Awards": "association",
    "Algeria Startup Fund": "company", "École des métiers du numérique": "academic",
    "CyberSécurité Mali": "startup", "Côte d'Ivoire Digital": "company",
}
SUMMARIES = {
    "Session 1": "Les deux délégations ont dressé l'état des lieux : une centaine de start-up labellisées au Mali, "
                 "plus de mille en Algérie, un accès au financement encore difficile et une connectivité rurale "
                 "inégale. Les incubateurs demandent des programmes d'échange et un cadre commun de labellisation.",
    "Session 2": "Les participants ont retenu trois chantiers : le raccordement à la dorsale transsaharienne en "
                 "fibre optique, la location de capacités satellitaires algériennes et un fonds d'amorçage commun. "
                 "La cybersécurité et la logistique numérique complètent la feuille de route.",
}
RECOMMENDATIONS = {
    "Session 1": [
        ("Programme d'immersion croisé", "Accueillir chaque année vingt start-up maliennes à Alger et vingt "
         "start-up algériennes à Bamako pendant trois mois.", "immersion", "both", "high"),
        ("Formation aux métiers du numérique", "Ouvrir des formations communes en cybersécurité et en réseaux.",
         "training", "mali", "medium"),
        ("Labellisation mutuelle des incubateurs", "", "incubation", "both", "medium"),
    ],
    "Session 2": [
        ("Raccorder Bamako à la dorsale transsaharienne", "Finaliser le tronçon de fibre optique vers la "
         "frontière et l'interconnexion avec Algérie Télécom.", "fibre", "operators", "high"),
        ("Capacités satellitaires pour les zones rurales", "Louer des capacités du satellite algérien pour les "
         "zones non couvertes.", "satellite", "algeria", "high"),
        ("Fonds d'amorçage commun", "Doter un fonds mixte de start-up et de coentreprises.", "financing", "both",
         "medium"),
        ("Centre d'alerte cybersécurité partagé", "", "cybersecurity", "both", "low"),
    ],
}


def load_report_demo(round_table: Event, *, rapporteur: User, organizer: User) -> None:
    grant_role(round_table, rapporteur, Role.RAPPORTEUR)
    settings = services.settings_of(round_table)
    settings.organizers = "Ambassade d'Algérie au Mali\nMali Digital Awards (MDA)"
    settings.partners = ("Ministère malien de l'économie numérique\nMinistère algérien de l'économie de la "
                         "connaissance, des start-up et des micro-entreprises\nAssociation des Algériens au Mali")
    regs = list(db.session.scalars(db.select(Registration).where(Registration.event_id == round_table.id)
                                   .order_by(Registration.id)))
    for reg in regs:
        reg.organization_type = ORG_TYPES.get(reg.organization, "other")
    if regs:
        regs[-1].listed = False  # asked not to be named: counted only
    entrance = checkin.ensure_default_point(round_table)[0]
    for reg in regs[:8]:
        if reg.ticket is not None:
            checkin.check_in(reg.ticket.code, by=organizer, point=entrance, device_id="demo-scanner-1")
    sessions = list(db.session.scalars(db.select(AgendaSession).where(AgendaSession.event_id == round_table.id)))
    for prefix, text in SUMMARIES.items():
        session = next((s for s in sessions if s.title.startswith(prefix)), None)
        if session is None:
            continue
        services.assign_rapporteur(session, rapporteur)
        services.save_summary(session, text, base_version=0, by=rapporteur)
        for title, body, domain, actor, priority in RECOMMENDATIONS[prefix]:
            services.add_recommendation(session, RecommendationData(title=title, text=body, domain=domain,
                                                                    actor=actor, priority=priority), by=rapporteur)
    db.session.flush()
