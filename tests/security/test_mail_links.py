"""Issue 9 item 3: links in mail never come from the request's Host header."""

from __future__ import annotations

import re

import pytest

import config
from eventhub.extensions import db
from eventhub.mail.models import MailMessage
from tests.conftest import registration_form

EVIL = "evil.example"


def last_mail(kind: str):
    db.session.expire_all()
    return db.session.scalars(db.select(MailMessage).where(MailMessage.kind == kind)
                              .order_by(MailMessage.id.desc())).first()


def links(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


@pytest.fixture
def mail_config(app):
    saved = {k: app.config.get(k) for k in ("PUBLIC_BASE_URL", "TRUSTED_HOSTS")}
    yield app.config
    app.config.update(saved)


def test_forged_host_never_reaches_a_reset_link_without_a_base_url(client, mail_config, organizer):
    mail_config.update(PUBLIC_BASE_URL=None, TRUSTED_HOSTS=None)
    response = client.post("/password/forgot", data={"email": organizer.email}, headers={"Host": EVIL})
    assert response.status_code == 302
    message = last_mail("password_reset")
    assert message is not None
    found = links(message.body_text)
    assert found and all(EVIL not in link for link in found), found
    assert all(link.startswith("http://127.0.0.1:5000/password/reset/") for link in found), found


def test_forged_host_never_reaches_a_resent_ticket(client, mail_config, event):
    mail_config.update(PUBLIC_BASE_URL=None, TRUSTED_HOSTS=None)
    assert client.post(f"/e/{event.slug}/register", data=registration_form()).status_code == 302
    response = client.post(f"/e/{event.slug}/resend", data={"email": "aminata@example.org"},
                           headers={"Host": EVIL, "X-Forwarded-Host": EVIL})
    assert response.status_code == 302
    message = last_mail("ticket")
    assert message is not None
    for body in (message.body_text, message.body_html):
        assert EVIL not in body
        assert "http://127.0.0.1:5000/t/" in body


def test_public_base_url_wins_over_any_host(client, mail_config, organizer):
    mail_config.update(PUBLIC_BASE_URL="https://events.example.org", TRUSTED_HOSTS=None)
    assert client.post("/password/forgot", data={"email": organizer.email},
                       headers={"Host": EVIL}).status_code == 302
    found = links(last_mail("password_reset").body_text)
    assert found and all(link.startswith("https://events.example.org/password/reset/") for link in found), found


def test_trusted_hosts_refuse_a_forged_host_and_allow_a_listed_one(client, mail_config, organizer):
    mail_config.update(PUBLIC_BASE_URL=None, TRUSTED_HOSTS=["localhost", "eventhub.test"])
    forged = client.post("/password/forgot", data={"email": organizer.email}, headers={"Host": EVIL})
    assert forged.status_code == 400
    assert db.session.scalar(db.select(db.func.count()).select_from(MailMessage)) == 0
    listed = client.post("/password/forgot", data={"email": organizer.email}, headers={"Host": "eventhub.test"})
    assert listed.status_code == 302
    found = links(last_mail("password_reset").body_text)
    assert found and all(link.startswith("http://eventhub.test/password/reset/") for link in found), found


def test_production_refuses_to_start_without_a_public_base_url(monkeypatch, tmp_path):
    monkeypatch.setattr(config, "INSTANCE_DIR", tmp_path / "instance")
    monkeypatch.setenv("SECRET_KEY", "kJ3v9Qz_T1p8Rw2xYb6Nc4Hs0Lm7Fg5Ad-Ue8Wi3Oq1Zr")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        config.ProductionConfig()
    monkeypatch.setenv("PUBLIC_BASE_URL", "events.example.org")  # no scheme: not a base URL
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        config.ProductionConfig()
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://events.example.org/")
    assert config.ProductionConfig().PUBLIC_BASE_URL == "https://events.example.org"
