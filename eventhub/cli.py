"""`flask` commands: first administrator, demo data, outbox."""

from __future__ import annotations

import os
import time

import click
from flask import Flask, url_for

from eventhub.auth.models import User
from eventhub.auth.services import create_user
from eventhub.core.db import commit
from eventhub.core.errors import DomainError
from eventhub.demo.data import DEMO_LOGINS, load_demo
from eventhub.events.home import home_url
from eventhub.events.models import Event, EventStatus
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from eventhub.mail.services import deliver_queued


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--email", prompt=True)
    @click.option("--name", prompt=True)
    @click.password_option()
    def create_admin(email: str, name: str, password: str) -> None:
        """Create an administrator account (the first one, or another)."""
        try:
            user = create_user(email, name, password, is_admin=True)
            commit()
        except DomainError as exc:
            raise click.ClickException(str(exc.message)) from None
        click.echo(f"Administrator {user.email} created.")

    @app.cli.group("demo")
    def demo() -> None:
        """Demo data modelled on the Bamako round table and Mali Startup Connect."""

    @demo.command("load")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has events.")
    def demo_load(if_empty: bool) -> None:
        if if_empty and db.session.scalar(db.select(Event.id).limit(1)):
            click.echo("Database already has events; demo data not loaded.")
        else:
            load_demo()
            commit()
            click.echo("Demo data loaded.")
        click.echo(f"Demo logins (password for all: {DEMO_LOGINS['password']}), and where each lands after sign-in:")
        base = f"http://127.0.0.1:{os.environ.get('PORT', '5000')}"
        with app.test_request_context(base_url=base):
            accounts: dict[str, str] = DEMO_LOGINS["accounts"]  # type: ignore[assignment]
            for role, email in accounts.items():
                user = db.session.scalar(db.select(User).where(User.email == email))
                entry = base + home_url(user) if user is not None else ""
                click.echo(f"  {role:<12} {email:<26} {entry}")
            event = db.session.scalar(db.select(Event).where(Event.status == EventStatus.PUBLISHED)
                                      .order_by(Event.starts_at))
            if event is not None:
                page = url_for("events.public_page", slug=event.slug)
                click.echo(f"  {'attendee':<12} {'(no account)':<26} {base}{page}")

    @app.cli.group("mail")
    def mail() -> None:
        """SMTP delivery."""

    @mail.command("deliver")
    @click.option("--loop", "every", type=int, default=0, help="Run again every N seconds (0: once).")
    def mail_deliver(every: int) -> None:
        """Send due messages: queued, failed with a retry due, or left `sending` by a crashed worker."""
        while True:
            click.echo(f"{deliver_queued(app)} sent")
            if not every:
                break
            time.sleep(every)

    @app.cli.command("outbox")
    @click.option("--limit", default=10)
    def outbox(limit: int) -> None:
        """Print the latest emails (what SMTP would have sent)."""
        for m in db.session.scalars(db.select(MailMessage).order_by(MailMessage.id.desc()).limit(limit)):
            click.echo(f"--- #{m.id} {m.created_at:%Y-%m-%d %H:%M} [{m.status}] to {m.recipient}\n"
                       f"Subject: {m.subject}\n\n{m.body_text}\n")
