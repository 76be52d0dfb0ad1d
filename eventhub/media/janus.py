"""A small synchronous client of Janus's HTTP REST API and Admin API.

Plain blocking HTTP through `requests` (cooperative under gevent once the process is monkey-patched). Every call
has a timeout; a refusal from Janus raises `JanusError(code, reason)` with Janus's own error code (core codes such
as 403 "unauthorized", 458 "session not found"; VideoRoom codes such as 426 "no such room"). A server that does
not answer raises `JanusUnavailable` (code 0). Secrets (api_secret, admin_secret, room secrets, tokens) are never
logged: the debug log shows the request name and the transaction only.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import requests

log = logging.getLogger(__name__)

VIDEOROOM = "janus.plugin.videoroom"
AUDIOBRIDGE = "janus.plugin.audiobridge"
STREAMING = "janus.plugin.streaming"
DEFAULT_TIMEOUT = 5.0
API_SECRET_FIELD, ADMIN_SECRET_FIELD = "apisecret", "admin_secret"  # noqa: S105 (field names, not secrets)

# Janus core error codes we act on (janus/apierror.h).
ERR_UNAUTHORIZED = 403
ERR_UNKNOWN = 490
ERR_SESSION_NOT_FOUND = 458
ERR_HANDLE_NOT_FOUND = 459
# VideoRoom (plugins/janus_videoroom.c)
VIDEOROOM_NO_SUCH_ROOM = 426
VIDEOROOM_ROOM_EXISTS = 427
VIDEOROOM_NO_SUCH_FEED = 428
VIDEOROOM_UNAUTHORIZED = 433
# AudioBridge (plugins/janus_audiobridge.c)
AUDIOBRIDGE_NO_SUCH_ROOM = 485
AUDIOBRIDGE_ROOM_EXISTS = 486
# Streaming (plugins/janus_streaming.c)
STREAMING_NO_SUCH_MOUNTPOINT = 455
STREAMING_MOUNTPOINT_EXISTS = 456


class JanusError(Exception):
    """Janus said no. `code` is Janus's numeric error code, `reason` its text (no secrets in either)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"Janus error {code}: {reason}")
        self.code, self.reason = code, reason


class JanusUnavailable(JanusError):
    """The server did not answer (connection refused, timeout, garbage): code 0."""

    def __init__(self, reason: str) -> None:
        super().__init__(0, reason)


@dataclass(frozen=True)
class JanusServer:
    """One Janus instance. `url` is the REST API as the app reaches it (e.g. http://127.0.0.1:8088/janus),
    `public_url` the same API as browsers reach it (through TLS in production; defaults to `url`)."""

    name: str
    url: str
    api_secret: str = field(default="", repr=False)
    admin_url: str = ""
    admin_secret: str = field(default="", repr=False)
    public_url: str = ""

    @property
    def browser_url(self) -> str:
        return self.public_url or self.url


def _transaction() -> str:
    return secrets.token_hex(8)


class JanusClient:
    """Talks to one server. Stateless apart from the HTTP connection pool; safe to share between greenlets."""

    def __init__(self, server: JanusServer, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.server, self.timeout = server, timeout
        self._http = requests.Session()

    def close(self) -> None:
        self._http.close()

    # --- transport ------------------------------------------------------------------------------------------
    def _post(self, url: str, payload: dict[str, Any], *, secret_key: str, secret: str,
              timeout: float | None = None) -> dict[str, Any]:
        body = {"transaction": _transaction(), **payload}
        if secret:
            body[secret_key] = secret
        log.debug("janus %s %s %s", self.server.name, payload.get("janus"), body["transaction"])
        try:
            r = self._http.post(url, json=body, timeout=timeout or self.timeout)
            data = r.json()
        except requests.RequestException as exc:
            raise JanusUnavailable(f"{self.server.name}: {type(exc).__name__}") from None
        except ValueError:
            raise JanusUnavailable(f"{self.server.name}: not JSON (HTTP {r.status_code})") from None
        return _check(data)

    def request(self, path: str, payload: dict[str, Any], timeout: float | None = None) -> dict[str, Any]:
        """One Janus API request to `url/path` with the API secret."""
        url = self.server.url.rstrip("/") + (f"/{path}" if path else "")
        return self._post(url, payload, secret_key=API_SECRET_FIELD, secret=self.server.api_secret, timeout=timeout)

    def admin(self, payload: dict[str, Any], path: str = "") -> dict[str, Any]:
        """One Admin API request (`janus` names the admin request) with the admin secret."""
        if not self.server.admin_url:
            raise JanusError(ERR_UNAUTHORIZED, f"{self.server.name}: no admin_url configured")
        url = self.server.admin_url.rstrip("/") + (f"/{path}" if path else "")
        return self._post(url, payload, secret_key=ADMIN_SECRET_FIELD, secret=self.server.admin_secret)

    # --- core API -------------------------------------------------------------------------------------------
    def info(self) -> dict[str, Any]:
        try:
            r = self._http.get(self.server.url.rstrip("/") + "/info", timeout=self.timeout)
            return _check(r.json())
        except requests.RequestException as exc:
            raise JanusUnavailable(f"{self.server.name}: {type(exc).__name__}") from None
        except ValueError:
            raise JanusUnavailable(f"{self.server.name}: /info is not JSON") from None

    def create_session(self) -> int:
        return int(self.request("", {"janus": "create"})["data"]["id"])

    def attach(self, session_id: int, plugin: str) -> int:
        return int(self.request(str(session_id), {"janus": "attach", "plugin": plugin})["data"]["id"])

    def detach(self, session_id: int, handle_id: int) -> None:
        self.request(f"{session_id}/{handle_id}", {"janus": "detach"})

    def keepalive(self, session_id: int) -> None:
        self.request(str(session_id), {"janus": "keepalive"})

    def destroy_session(self, session_id: int) -> None:
        self.request(str(session_id), {"janus": "destroy"})

    def message(self, session_id: int, handle_id: int, body: dict[str, Any],
                jsep: dict[str, Any] | None = None) -> dict[str, Any]:
        """A synchronous plugin request: returns the plugin's data (raises JanusError on a plugin error)."""
        payload: dict[str, Any] = {"janus": "message", "body": body}
        if jsep:
            payload["jsep"] = jsep
        reply = self.request(f"{session_id}/{handle_id}", payload)
        if reply.get("janus") == "ack":  # an asynchronous request sent here by mistake
            raise JanusError(0, "asynchronous plugin request: use message_async")
        return _plugin_data(reply)

    def message_async(self, session_id: int, handle_id: int, body: dict[str, Any],
                      jsep: dict[str, Any] | None = None, timeout: float | None = None) -> dict[str, Any]:
        """An asynchronous plugin request (join, configure…): waits for its event on the session's long poll.
        Returns the whole event (`plugindata`, and `jsep` when Janus sends one)."""
        payload: dict[str, Any] = {"janus": "message", "body": body, "transaction": _transaction()}
        if jsep:
            payload["jsep"] = jsep
        reply = self.request(f"{session_id}/{handle_id}", payload)
        if reply.get("janus") != "ack":
            _plugin_data(reply)
            return reply
        deadline = time.monotonic() + (timeout or self.timeout)
        while time.monotonic() < deadline:
            for event in self.poll(session_id, timeout=max(0.5, deadline - time.monotonic())):
                if event.get("transaction") == payload["transaction"] and event.get("janus") == "event":
                    _plugin_data(event)
                    return event
        raise JanusUnavailable(f"{self.server.name}: no event for the request within the timeout")

    def poll(self, session_id: int, timeout: float = 5.0, max_events: int = 10) -> list[dict[str, Any]]:
        """Long-poll the session's events (Janus answers a keepalive after ~30 s of nothing; we cut earlier)."""
        url = f"{self.server.url.rstrip('/')}/{session_id}"
        params: dict[str, Any] = {"maxev": max_events, "rid": int(time.time() * 1000)}
        if self.server.api_secret:
            params["apisecret"] = self.server.api_secret
        try:
            r = self._http.get(url, params=params, timeout=timeout + 1)
            data = r.json()
        except requests.ReadTimeout:
            return []
        except requests.RequestException as exc:
            raise JanusUnavailable(f"{self.server.name}: {type(exc).__name__}") from None
        except ValueError:
            raise JanusUnavailable(f"{self.server.name}: poll answer is not JSON") from None
        events = data if isinstance(data, list) else [data]
        for event in events:
            if event.get("janus") == "error":
                _check(event)
        return [e for e in events if e.get("janus") != "keepalive"]

    # --- admin API ------------------------------------------------------------------------------------------
    def add_token(self, token: str, plugins: list[str]) -> None:
        """A stored token (core `token_auth`) that may attach only to `plugins`."""
        self.admin({"janus": "add_token", "token": token, "plugins": plugins})

    def allow_token(self, token: str, plugins: list[str]) -> None:
        self.admin({"janus": "allow_token", "token": token, "plugins": plugins})

    def remove_token(self, token: str) -> None:
        """Revoke a stored token. Unknown tokens are fine (idempotent)."""
        try:
            self.admin({"janus": "remove_token", "token": token})
        except JanusError as exc:
            if exc.code != ERR_UNKNOWN:  # Janus 1.1 answers 490 "Error removing token" for an unknown token
                raise

    def list_tokens(self) -> list[dict[str, Any]]:
        """[{"token": …, "allowed_plugins": [...]}, …]"""
        return list(self.admin({"janus": "list_tokens"}).get("data", {}).get("tokens", []))

    def get_status(self) -> dict[str, Any]:
        return dict(self.admin({"janus": "get_status"}).get("status", {}))

    def set_session_timeout(self, seconds: int) -> None:
        self.admin({"janus": "set_session_timeout", "timeout": int(seconds)})

    def list_sessions(self) -> list[int]:
        return [int(s) for s in self.admin({"janus": "list_sessions"}).get("sessions", [])]


def _check(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise JanusUnavailable("unexpected answer")
    if data.get("janus") == "error":
        err = data.get("error") or {}
        raise JanusError(int(err.get("code", 0) or 0), str(err.get("reason", "unknown error")))
    return data


def _plugin_data(reply: dict[str, Any]) -> dict[str, Any]:
    data = (reply.get("plugindata") or {}).get("data") or {}
    if "error_code" in data or "error" in data:
        raise JanusError(int(data.get("error_code", 0) or 0), str(data.get("error", "plugin error")))
    return dict(data)
