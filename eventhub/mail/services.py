"""Sending mail: every message is stored first; SMTP delivery happens after the commit."""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid

from flask import Flask, current_app

from eventhub.core.db import on_commit
from eventhub.core.types import utcnow
from eventhub.extensions import db, socketio
from eventhub.mail.models import MailAttachment, MailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None


def queue_mail(
    *,
    kind: str,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Iterable[Attachment] = (),
    event_id: int | None = None,
) -> MailMessage:
    smtp = bool(current_app.config.get("MAIL_SERVER"))
    message = MailMessage(
        kind=kind, recipient=to, subject=subject, body_text=text, body_html=html, event_id=event_id,
        status="queued" if smtp else "outbox",
        attachments=[
            MailAttachment(filename=a.filename, content_type=a.content_type, data=a.data, content_id=a.content_id)
            for a in attachments
        ],
    )
    db.session.add(message)
    if smtp:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        on_commit(lambda: socketio.start_background_task(deliver_queued, app))
    return message


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.recipient
    email["Subject"] = message.subject
    email["Message-ID"] = make_msgid(domain="eventhub")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
        html_part = email.get_payload()[-1]  # type: ignore[index]  # multipart after add_alternative
        for att in message.attachments:
            if att.content_id:
                maintype, subtype = att.content_type.split("/", 1)
                html_part.add_related(  # type: ignore[union-attr]
                    att.data, maintype, subtype, cid=f"<{att.content_id}>", filename=att.filename)
    for att in message.attachments:
        maintype, subtype = att.content_type.split("/", 1)
        email.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=att.filename)
    return email


def deliver_queued(app: Flask) -> int:
    """Send every queued message over SMTP. Safe to run concurrently: each row is claimed with a conditional
    UPDATE before sending (row locks alone would not do on SQLite), so a message goes out once."""
    sent = 0
    with app.app_context():
        cfg = app.config
        while True:
            message_id = db.session.scalar(
                db.select(MailMessage.id).where(MailMessage.status == "queued").order_by(MailMessage.id).limit(1)
            )
            if message_id is None:
                break
            claimed = db.session.execute(  # type: ignore[attr-defined]  # an UPDATE's CursorResult
                db.update(MailMessage).where(MailMessage.id == message_id, MailMessage.status == "queued")
                .values(status="sending").execution_options(synchronize_session=False)
            ).rowcount
            db.session.commit()
            if not claimed:
                continue  # another worker took it
            message = db.session.get_one(MailMessage, message_id)
            try:
                with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
                    if cfg.get("MAIL_USE_TLS"):
                        smtp.starttls()
                    if cfg.get("MAIL_USERNAME"):
                        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
                    smtp.send_message(build_email(message, cfg["MAIL_SENDER"]))
                message.status, message.sent_at = "sent", utcnow()
                sent += 1
            except (OSError, smtplib.SMTPException) as exc:
                log.warning("mail %s to %s failed: %s", message.id, message.recipient, exc)
                message.status, message.error = "failed", str(exc)[:500]
            db.session.commit()
        db.session.remove()
    return sent
