"""Issue 9 item 15: failed sign-ins are limited per account *and address*, with a much higher ceiling per
account, so an attacker cannot lock the owner out; behind the configured proxy hop the client's own address
counts (ProxyFix), not the proxy's."""

from __future__ import annotations

import http.client
import re

import pytest
from limits import parse

from tests.security.conftest import LiveServer

RIGHT = "correct horse battery"  # noqa: S105


def attempt(client, email: str, password: str, address: str) -> int:
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}).status_code


def test_failures_from_other_addresses_do_not_lock_the_owner_out(client, make_user):
    user = make_user()
    attacker = [attempt(client, user.email, f"bad{i}", f"10.0.0.{i % 3}") for i in range(9)]
    assert attacker == [401] * 9  # three per address: under the per-address-and-account limit
    assert attempt(client, user.email, RIGHT, "10.0.0.99") == 302


def test_failures_are_limited_per_account_and_address(client, make_user):
    user = make_user()
    assert [attempt(client, user.email, f"bad{i}", "10.0.0.7") for i in range(6)] == [401] * 5 + [429]
    # That address is held back for this account, not for others, and others are not held back for it.
    assert attempt(client, user.email, RIGHT, "10.0.0.7") == 429
    assert attempt(client, user.email, RIGHT, "10.0.0.8") == 302
    other = make_user()
    assert attempt(client.application.test_client(), other.email, "bad", "10.0.0.7") == 401


@pytest.fixture
def account_ceiling(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_LIMIT", "8 per hour")


def test_a_per_account_ceiling_still_stops_a_distributed_guess(client, make_user, account_ceiling):
    user = make_user()
    statuses = [attempt(client, user.email, f"bad{i}", f"10.0.1.{i}") for i in range(9)]
    assert statuses == [401] * 8 + [429]


def test_the_default_account_ceiling_is_much_higher_than_the_address_limit(app):
    per_account = parse(app.config["LOGIN_ACCOUNT_LIMIT"])
    per_pair = parse(app.config["LOGIN_ACCOUNT_ADDRESS_LIMIT"])
    assert (per_account.amount / per_account.get_expiry()) >= 10 * (per_pair.amount / per_pair.get_expiry())


def _login_attempt(server: LiveServer, forwarded_for: str, email: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request("GET", "/login", headers={"X-Forwarded-For": forwarded_for})
        page = conn.getresponse()
        html = page.read().decode()
        session = next(h for h in page.headers.get_all("Set-Cookie") if h.startswith("session="))
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
        conn.request("POST", "/login", body=f"csrf_token={token}&email={email}&password=wrong",
                     headers={"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": forwarded_for,
                              "Cookie": session.split(";", 1)[0]})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_behind_the_proxy_each_client_has_its_own_limits(live_server: LiveServer):
    """The server trusts one proxy hop (PROXY_FIX_X_FOR=1): the per-address limit (20 failures in 10 minutes)
    applies to the client named by X-Forwarded-For, not to the proxy every request comes from."""
    statuses = [_login_attempt(live_server, "198.51.100.7", f"nobody{i}%40example.org") for i in range(21)]
    assert statuses == [401] * 20 + [429]
    # A different client behind the same proxy; the rightmost address is the one the proxy saw.
    assert _login_attempt(live_server, "198.51.100.7, 198.51.100.8", "nobody%40example.org") == 401
