"""Issue 9 items 1 and 2: token usage is recorded without a write per request; tokens die with their
creator's rights on the event, and the tokens page says so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event as sa_event

from eventhub.auth.models import ApiToken, Role
from eventhub.auth.services import LAST_USED_PRECISION, grant_role, revoke_api_token, revoke_role
from eventhub.core.db import commit
from eventhub.extensions import db

API = "/api/v1"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@contextmanager
def writes_recorded(app) -> Iterator[list[str]]:
    """Every INSERT/UPDATE/DELETE the app sends to the database while the block runs."""
    statements: list[str] = []

    def record(_conn, _cursor, statement, _params, _context, _many) -> None:  # noqa: ANN001
        if statement.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa_event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        sa_event.remove(engine, "before_cursor_execute", record)


def row_of(html: str, token: str) -> str:
    [row] = [part.split("</tr>", 1)[0] for part in html.split("<tr>") if token[:10] in part]
    return row


EN = {"Accept-Language": "en"}


def token_row(prefix_of: str):
    db.session.expire_all()
    return db.session.scalars(db.select(ApiToken).where(ApiToken.prefix == prefix_of[:10])).one()


def test_a_read_only_call_records_last_use_once_and_writes_nothing_after(app, client, event, token):
    assert token_row(token).last_used_at is None
    response = client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token))
    assert response.status_code == 200
    first = token_row(token).last_used_at
    assert first is not None  # was rolled back with the read-only request, never stored
    with writes_recorded(app) as writes:
        for _ in range(5):
            assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).status_code == 200
    assert writes == []  # no write lock taken by read-only calls within the precision window
    assert token_row(token).last_used_at == first


def test_last_use_is_written_again_once_the_window_has_passed(app, client, event, token):
    assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).status_code == 200
    row = token_row(token)
    old = row.last_used_at - LAST_USED_PRECISION - timedelta(seconds=1)
    row.last_used_at = old
    commit()
    with writes_recorded(app) as writes:
        assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).status_code == 200
    assert len(writes) == 1 and "api_tokens" in writes[0]
    assert token_row(token).last_used_at > old


def test_a_token_dies_with_its_creators_organizer_role(client, login, make_user, event, organizer, token):
    colleague = make_user("colleague@example.org", "Collègue")
    grant_role(event, colleague, Role.ORGANIZER)
    commit()
    assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).status_code == 200
    revoke_role(event, organizer, Role.ORGANIZER)
    grant_role(event, organizer, Role.MODERATOR)  # still on the team, but not an organizer
    commit()
    for response in (
        client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)),
        client.post(f"{API}/events/{event.id}/rooms", json={"name": "Salle 9", "capacity": 9}, headers=bearer(token)),
        client.patch(f"{API}/events/{event.id}", json={"venue": "Ailleurs"}, headers=bearer(token)),
    ):
        assert response.status_code == 401, response.get_data(as_text=True)[:300]
        assert response.get_json()["error"]["code"] == "unauthorized"
    page = login(colleague).get(f"/manage/events/{event.id}/tokens", headers=EN)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    row = row_of(html, token)
    assert "inactive" in row
    assert "no longer an organizer of this event" in row
    assert "Revoke" in row  # can still be revoked for good
    # Given the role back, the token works again: the check is made at each use.
    grant_role(event, organizer, Role.ORGANIZER)
    commit()
    assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(token)).status_code == 200


def test_tokens_page_shows_deactivated_creator_and_revoked(client, login, make_user, make_token, event, organizer):
    colleague = make_user("colleague@example.org", "Collègue")
    grant_role(event, colleague, Role.ORGANIZER)
    commit()
    by_organizer = make_token(event, organizer)
    revoked = make_token(event, colleague)
    revoke_api_token(token_row(revoked))
    organizer.is_active_account = False
    commit()
    assert client.get(f"{API}/events/{event.id}/registrations", headers=bearer(by_organizer)).status_code == 401
    html = login(colleague).get(f"/manage/events/{event.id}/tokens", headers=EN).get_data(as_text=True)
    row = row_of(html, by_organizer)
    assert "inactive" in row and "account of its creator is deactivated" in row
    row = row_of(html, revoked)
    assert "revoked" in row and "Revoke</button>" not in row
