"""Sending mail: every message is stored first; SMTP delivery happens after the commit."""

from __future__ import annotations

import logging
import re
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from typing import cast

from flask import Flask, current_app
from sqlalchemy import ColumnElement, CursorResult

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
        kind=kind, recipient=clean_header(to, limit=254), subject=clean_header(subject, limit=300),
        body_text=text, body_html=html, event_id=event_id, status="queued" if smtp else "outbox",
        attachments=[
            MailAttachment(filename=clean_header(a.filename, limit=200), content_type=a.content_type, data=a.data,
                           content_id=a.content_id)
            for a in attachments
        ],
    )
    db.session.add(message)
    if smtp:
        app = current_app._get_current_object()  # type: ignore[attr-defined]
        on_commit(lambda: socketio.start_background_task(deliver_queued, app))
    return message


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_header(value: str, *, limit: int | None = None) -> str:
    """A value fit for one mail header line: control characters (CR and LF above all, which the email package
    refuses and which would inject headers) and runs of whitespace become one space. Every header goes
    through here: at queue time for what is stored, again when the message is built."""
    text = " ".join(_CONTROL.sub(" ", value or "").split())
    return text[:limit] if limit else text


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = clean_header(sender)
    email["To"] = clean_header(message.recipient)
    email["Subject"] = clean_header(message.subject)
    email["Message-ID"] = make_msgid(domain="eventhub")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
        html_part = cast(list[EmailMessage], email.get_payload())[-1]
        for att in message.attachments:
            if att.content_id:
                maintype, subtype = att.content_type.split("/", 1)
                html_part.add_related(att.data, maintype, subtype, cid=f"<{clean_header(att.content_id)}>",
                                      filename=clean_header(att.filename))
    for att in message.attachments:
        maintype, subtype = att.content_type.split("/", 1)
        email.add_attachment(att.data, maintype=maintype, subtype=subtype, filename=clean_header(att.filename))
    return email


def _due(now: datetime, stale: timedelta) -> ColumnElement[bool]:
    """Messages a delivery run may claim: queued; failed with a retry that is due; or claimed by a worker that
    has not finished within `stale` (it crashed: the row would otherwise stay `sending` forever)."""
    return db.or_(
        MailMessage.status == "queued",
        db.and_(MailMessage.status == "failed", MailMessage.next_attempt_at.is_not(None),
                MailMessage.next_attempt_at <= now),
        db.and_(MailMessage.status == "sending",
                db.or_(MailMessage.claimed_at.is_(None), MailMessage.claimed_at < now - stale)),
    )


def retry_delay(app: Flask, attempts: int) -> timedelta | None:
    """Back-off after the `attempts`-th failure: base × 4^(attempts-1); None once MAIL_MAX_ATTEMPTS is reached."""
    if attempts >= app.config["MAIL_MAX_ATTEMPTS"]:
        return None
    return timedelta(seconds=app.config["MAIL_RETRY_BASE_SECONDS"] * 4 ** (max(attempts, 1) - 1))


def _send(cfg: dict, email: EmailMessage, recipient: str) -> None:
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg.get("MAIL_USE_TLS"):
            smtp.starttls()
        if cfg.get("MAIL_USERNAME"):
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        # The envelope names the stored recipient: headers never choose who receives a message.
        smtp.send_message(email, to_addrs=[recipient])


def _reason(exc: Exception) -> str:
    """What the organizer reads on the mail page: the server's own answer when there is one."""
    if isinstance(exc, smtplib.SMTPResponseException):
        error = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {error}"
    return f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__


def deliver_queued(app: Flask) -> int:
    """Send every due message over SMTP; returns how many were sent. Safe to run concurrently: each row is
    claimed with a conditional UPDATE (row locks alone would not do on SQLite), so a message goes out once.

    No transaction is open while talking to the SMTP server: claim and build in one short transaction, send,
    then record the outcome in another. A failure is stored with its reason and retried with back-off."""
    sent = 0
    with app.app_context():
        cfg = app.config
        stale = timedelta(seconds=cfg["MAIL_STALE_CLAIM_SECONDS"])
        retry_at: datetime | None = None
        while cfg.get("MAIL_SERVER"):
            now = utcnow()
            message_id = db.session.scalar(
                db.select(MailMessage.id).where(_due(now, stale)).order_by(MailMessage.id).limit(1))
            if message_id is None:
                db.session.rollback()
                break
            claimed = cast(CursorResult, db.session.execute(
                db.update(MailMessage).where(MailMessage.id == message_id, _due(now, stale))
                .values(status="sending", claimed_at=now, attempts=MailMessage.attempts + 1)
                .execution_options(synchronize_session=False)
            )).rowcount
            if not claimed:
                db.session.commit()
                continue  # another worker took it
            message = db.session.get(MailMessage, message_id, populate_existing=True)
            assert message is not None
            recipient, attempts = message.recipient, message.attempts
            try:
                email: EmailMessage | None = build_email(message, cfg["MAIL_SENDER"])
                failure = None
            except Exception as exc:  # noqa: BLE001 - a message that cannot be built must not stay `sending`
                email, failure = None, f"cannot build the message: {exc}"
            db.session.commit()  # the claim is visible, and nothing is held during the SMTP conversation
            if email is not None:
                try:
                    _send(cfg, email, recipient)
                except Exception as exc:  # noqa: BLE001 - OSError, SMTPException, encoding errors…
                    failure = _reason(exc)
            outcome: dict[str, object]
            if failure is None:
                outcome = {"status": "sent", "sent_at": utcnow(), "next_attempt_at": None, "error": None}
                sent += 1
            else:
                log.warning("mail %s to %s failed (attempt %s): %s", message_id, recipient, attempts, failure)
                delay = retry_delay(app, attempts) if email is not None else None
                next_at = utcnow() + delay if delay is not None else None
                outcome = {"status": "failed", "error": failure[:500], "next_attempt_at": next_at}
                if next_at is not None and (retry_at is None or next_at < retry_at):
                    retry_at = next_at
            db.session.execute(
                db.update(MailMessage).where(MailMessage.id == message_id, MailMessage.claimed_at == now)
                .values(claimed_at=None, **outcome).execution_options(synchronize_session=False))
            db.session.commit()
        db.session.remove()
    if retry_at is not None:
        schedule_retry(app, retry_at)
    return sent


_pending_retry: dict[int, datetime] = {}  # id(app) -> when this process's retry timer fires


def schedule_retry(app: Flask, when: datetime) -> None:
    """One timer per process, at the earliest retry due: a failed message is tried again without a new mail
    arriving. After a restart, the next delivery run (any new mail, or `flask mail deliver`) picks it up."""
    pending = _pending_retry.get(id(app))
    if pending is not None and pending <= when:
        return
    _pending_retry[id(app)] = when
    socketio.start_background_task(_retry_later, app, when)


def _retry_later(app: Flask, when: datetime) -> None:
    socketio.sleep(max((when - utcnow()).total_seconds(), 0) + 0.5)
    if _pending_retry.get(id(app)) == when:
        _pending_retry.pop(id(app), None)
    deliver_queued(app)
