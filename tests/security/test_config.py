"""Issue 9 items 6 and 18: production cookies and HSTS; a weak SECRET_KEY refused; a refused production start
writes nothing to instance/."""

from __future__ import annotations

import http.client
import re
import secrets

import pytest

import config
from tests.security.conftest import LiveServer

STRONG = "kJ3v9Qz_T1p8Rw2xYb6Nc4Hs0Lm7Fg5Ad-Ue8Wi3Oq1Zr"


@pytest.fixture
def production_env(monkeypatch, tmp_path):
    instance = tmp_path / "instance"
    monkeypatch.setattr(config, "INSTANCE_DIR", instance)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://events.example.org")
    return instance


@pytest.mark.parametrize("weak", ["x", "changeme", "x" * 40, "0123456789" * 4, "a1" * 24, "secret" * 8,
                                  "short-but-random-9Qz_T1p"])
def test_weak_secret_keys_are_refused_in_production(production_env, monkeypatch, weak):
    monkeypatch.setenv("SECRET_KEY", weak)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig()
    assert not production_env.exists()


def test_a_failed_production_start_writes_no_secret_file(production_env, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        config.ProductionConfig()
    assert not (production_env / "secret_key").exists()
    monkeypatch.setenv("SECRET_KEY", STRONG)
    monkeypatch.delenv("PUBLIC_BASE_URL")
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        config.ProductionConfig()
    assert not (production_env / "secret_key").exists()


def test_strong_secret_keys_are_accepted(production_env, monkeypatch):
    for key in (STRONG, secrets.token_hex(32), secrets.token_urlsafe(32)):
        monkeypatch.setenv("SECRET_KEY", key)
        assert key == config.ProductionConfig().SECRET_KEY
    assert not production_env.exists()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    return {h.split("=", 1)[0]: h for h in response.headers.get_all("Set-Cookie") or []}


def test_production_cookies_are_secure_and_hsts_is_sent(live_server: LiveServer):
    """Behind the TLS proxy (X-Forwarded-Proto: https, trusted with PROXY_FIX_X_PROTO=1). The browser sends no
    Referer (our Referrer-Policy is no-referrer), so the sign-in form must not need one."""
    conn = http.client.HTTPConnection("127.0.0.1", live_server.port, timeout=10)
    proxy = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.20"}
    try:
        conn.request("GET", "/login", headers=proxy)
        page = conn.getresponse()
        html = page.read().decode()
        assert page.status == 200
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        session = _cookies(page)["session"]
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        body = (f"csrf_token={token}&email={live_server.seed['email']}&password=correct+horse+battery"
                "&remember=y")
        conn.request("POST", "/login", body=body, headers={
            **proxy, "Content-Type": "application/x-www-form-urlencoded", "Cookie": session.split(";", 1)[0]})
        signed_in = conn.getresponse()
        answer = signed_in.read()
        assert signed_in.status == 302, answer[:500]
        assert re.fullmatch(r"/manage/events/\d+", signed_in.headers["Location"])  # the organizer's home
        assert signed_in.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
        cookies = _cookies(signed_in)
        for name in ("session", "remember_token"):
            attributes = {a.strip().split("=", 1)[0].lower(): a for a in cookies[name].split(";")[1:]}
            assert "secure" in attributes, cookies[name]
            assert "httponly" in attributes, cookies[name]
            assert attributes.get("samesite", "").strip().lower() == "samesite=lax", cookies[name]
    finally:
        conn.close()
