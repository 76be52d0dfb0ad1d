"""Final report generation time: the round table and a large event.

    python -m bench.report [--database-url URL] [--lang fr] [--repeat 1]

Builds a fresh database (SQLite in a temporary directory unless --database-url names a PostgreSQL server, on
which a database of its own is created), seeds two events with bulk inserts — the round table (100
registrations, 2 sessions, 40 questions, 1 poll each) and a large one (5,000 registrations, 40 sessions, 3,000
questions, a poll per session) — with check-ins, rapporteurs' summaries and recommendations, then times what
"issue a version" does: gather the data, render the PDF (WeasyPrint, matplotlib charts) and the XLSX workbook.
Prints one line per run and, last, one JSON object: seconds_small, seconds_large, pages_small, pages_large.
Goals: under 10 s and under 60 s.
"""

# ruff: noqa: PLC0415 -- eventhub (config.py) reads the environment at import: imported after main() sets it.
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

COUNTRIES = ["ML"] * 5 + ["DZ"] * 4 + ["SN", "FR", "CI", "BF", "NE", "MA", "TN", "US"]
ORG_TYPES = ["government", "operator", "startup", "company", "academic", "association", "international", "press", ""]


def seed(event_id: int, *, registrations: int, sessions: int, questions: int, rnd: random.Random) -> None:
    """Bulk inserts (Core), not the services: the bench measures generation, not registering 5,000 people."""
    from sqlalchemy import insert

    from eventhub.auth.models import User
    from eventhub.checkin.models import CheckIn, CheckInPoint, PointKind
    from eventhub.events.models import Event
    from eventhub.extensions import db
    from eventhub.qa.models import Poll, PollOption, PollStatus, Question, QuestionStatus
    from eventhub.registration.models import AttendanceMode, Registration, RegistrationStatus
    from eventhub.report.models import Actor, Domain, Priority, Recommendation, SessionRapporteur, SessionSummary
    from eventhub.schedule.models import AgendaSession, Panelist, SessionPanelist
    from eventhub.signals import session_saved

    event = db.session.get(Event, event_id)
    now = datetime.now(UTC)
    user_id = db.session.scalar(db.select(User.id).order_by(User.id).limit(1))
    reg_rows = []
    for i in range(registrations):
        mode = AttendanceMode.REMOTE if rnd.random() < 0.3 else AttendanceMode.IN_PERSON
        family = rnd.choice(["Traoré", "Benali", "Keïta"])
        reg_rows.append({"event_id": event_id, "name": f"Participant {i:05d} {family}",
                         "email": f"p{event_id}-{i}@example.org", "email_normalized": f"p{event_id}-{i}@example.org",
                         "organization": f"Organisation {i % 700}", "country": rnd.choice(COUNTRIES),
                         "job_title": "", "mode": mode, "status": RegistrationStatus.CONFIRMED, "locale": "fr",
                         "source": "web", "consent_at": now, "created_at": now, "confirmed_at": now,
                         "organization_type": rnd.choice(ORG_TYPES), "listed": rnd.random() > 0.05})
    db.session.execute(insert(Registration), reg_rows)
    reg_ids = list(db.session.scalars(db.select(Registration.id).where(Registration.event_id == event_id)))
    entrance = CheckInPoint(event_id=event_id, name="Entrée principale", kind=PointKind.ENTRANCE)
    db.session.add(entrance)
    session_ids = []
    span = (event.ends_at - event.starts_at) / max(1, sessions)
    for s in range(sessions):
        sess = AgendaSession(event_id=event_id, title=f"Session {s + 1} — Table ronde thématique",
                             starts_at=event.starts_at + span * s, ends_at=event.starts_at + span * s + span * 0.9,
                             published_at=now)
        db.session.add(sess)
        db.session.flush()
        session_saved.send(sess, created=True)  # its Q&A settings and stage, as create_session makes them
        session_ids.append(sess.id)
    panelists = [Panelist(event_id=event_id, name=f"Panéliste {p}", organization=f"Ministère {p}",
                          country=rnd.choice(["ML", "DZ"])) for p in range(min(60, sessions * 3))]
    db.session.add_all(panelists)
    db.session.flush()
    db.session.execute(insert(SessionPanelist), [
        {"session_id": sid, "panelist_id": panelists[(k * 3 + j) % len(panelists)].id}
        for k, sid in enumerate(session_ids) for j in range(3)])
    points = []
    for sid in session_ids:
        point = CheckInPoint(event_id=event_id, name=f"Salle {sid}", kind=PointKind.SESSION, agenda_session_id=sid)
        db.session.add(point)
        points.append(point)
    db.session.flush()
    admitted = [r for r in reg_ids if rnd.random() < 0.7]
    rows = [{"event_id": event_id, "registration_id": r, "point_id": entrance.id, "admitted_at": now} for r in admitted]
    for point in points:
        rows += [{"event_id": event_id, "registration_id": r, "point_id": point.id, "admitted_at": now}
                 for r in rnd.sample(admitted, min(len(admitted), 40))]
    db.session.execute(insert(CheckIn), rows)
    statuses = [QuestionStatus.APPROVED] * 5 + [QuestionStatus.ANSWERED] * 3 + [QuestionStatus.REJECTED,
                                                                                 QuestionStatus.PENDING]
    db.session.execute(insert(Question), [
        {"session_id": session_ids[q % len(session_ids)], "registration_id": reg_ids[q % len(reg_ids)],
         "author_key": f"r:{reg_ids[q % len(reg_ids)]}", "author_name": "", "anonymous": False,
         "text": f"Question {q} : quelles mesures concrètes pour la fibre, le financement et la formation ?",
         "status": statuses[q % len(statuses)], "pinned": False, "votes": rnd.randint(0, 30), "reject_reason": "",
         "created_at": now} for q in range(questions)])
    for k, sid in enumerate(session_ids):
        poll = Poll(session_id=sid, question="Quelle priorité ?", status=PollStatus.CLOSED, voters=rnd.randint(10, 90))
        db.session.add(poll)
        db.session.flush()
        db.session.execute(insert(PollOption), [{"poll_id": poll.id, "label": label, "position": n,
                                                 "votes": rnd.randint(0, 40)}
                                                for n, label in enumerate(["Fibre", "Satellite", "Formation"])])
        db.session.add(SessionRapporteur(session_id=sid, user_id=user_id))
        db.session.add(SessionSummary(session_id=sid, event_id=event_id, version=1, updated_at=now,
                                      text="Synthèse des échanges. " * 40))
        for r in range(2):
            db.session.add(Recommendation(event_id=event_id, session_id=sid, title=f"Recommandation {k}.{r}",
                                          text="Texte de la recommandation. " * 5,
                                          domain=list(Domain)[(k + r) % len(Domain)],
                                          actor=list(Actor)[(k + r) % len(Actor)], priority=Priority.HIGH))
    db.session.flush()


def generate(event_id: int, lang: str) -> tuple[float, int, int]:
    from eventhub.events.models import Event
    from eventhub.extensions import db
    from eventhub.report import render
    from eventhub.report.data import collect

    started = time.perf_counter()
    event = db.session.get(Event, event_id)
    data = collect(event)
    rendered = render.pdf(data, lang)
    workbook = render.xlsx(data, lang)
    return time.perf_counter() - started, rendered.pages, len(rendered.pdf) + len(workbook)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--lang", default="fr", choices=["fr", "ar", "en"])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="eventhub-bench-report-"))
    os.environ["EVENTHUB_INSTANCE_DIR"] = str(tmp)
    os.environ.setdefault("SECRET_KEY", "bench-report")
    pg_name = None
    if args.database_url:
        from bench._server import fresh_postgres_database

        pg_name = "eventhub_bench_report"  # dropped and re-created by each run
        os.environ["DATABASE_URL"] = fresh_postgres_database(args.database_url, pg_name)
    else:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"

    from flask_migrate import upgrade

    from eventhub import create_app
    from eventhub.auth.services import create_user
    from eventhub.core.db import commit
    from eventhub.events.services import EventData, create_event, publish_event
    from eventhub.extensions import db

    app = create_app()
    rnd = random.Random(2027)
    results: dict[str, list[tuple[float, int, int]]] = {"small": [], "large": []}
    with app.app_context():
        upgrade()
        user = create_user("bench-organizer@example.org", "Coordination MDA", "bench-password-123")
        starts = datetime(2027, 3, 14, 8, 0, tzinfo=UTC)
        ids = {}
        for key, title, regs, sessions, questions in (
                ("small", "Table ronde Algérie–Mali", 100, 2, 40),
                ("large", "Forum numérique africain", 5000, 40, 3000)):
            event = create_event(EventData(title=title, starts_at=starts, ends_at=starts + timedelta(hours=10),
                                           timezone="Africa/Bamako", capacity=10_000, venue="CICB"), by=user)
            publish_event(event)
            commit()
            t = time.perf_counter()
            seed(event.id, registrations=regs, sessions=sessions, questions=questions, rnd=rnd)
            commit()
            ids[key] = event.id
            print(f"seeded {key}: {regs} registrations, {sessions} sessions, {questions} questions "
                  f"in {time.perf_counter() - t:.1f} s", flush=True)
        db.session.remove()
        for n in range(args.repeat):
            for key in ("small", "large"):
                seconds, pages, size = generate(ids[key], args.lang)
                db.session.remove()
                results[key].append((seconds, pages, size))
                print(f"run {n + 1} {key}: {seconds:.2f} s, {pages} pages, {size / 1e6:.2f} MB (PDF + XLSX)",
                      flush=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}, lang {args.lang}, "
          f"database {'postgresql' if pg_name else 'sqlite'}")
    out = {
        "seconds_small": round(statistics.median(r[0] for r in results["small"]), 2),
        "seconds_large": round(statistics.median(r[0] for r in results["large"]), 2),
        "pages_small": results["small"][-1][1], "pages_large": results["large"][-1][1],
        "lang": args.lang, "runs": args.repeat, "load_average": load,
    }
    print(json.dumps(out))
    return 0 if out["seconds_small"] < 10 and out["seconds_large"] < 60 else 1


if __name__ == "__main__":
    sys.exit(main())
