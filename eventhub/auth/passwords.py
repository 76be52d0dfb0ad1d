"""Password hashing: argon2id with the parameters the app's config names.

Production uses the library's recommended profile (RFC 9106, low memory). The test configuration names the
cheapest one: the suite creates and signs in thousands of accounts, and 100 ms a hash was a third of its run
time. The hasher and its dummy hash (verified against for unknown emails, so timing does not reveal accounts)
are made once per app, not at import.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher, profiles
from flask import Flask, current_app

PROFILES = {"recommended": profiles.RFC_9106_LOW_MEMORY, "cheapest": profiles.CHEAPEST}
_EXTENSION = "eventhub.passwords"


@dataclass(frozen=True)
class Passwords:
    hasher: PasswordHasher
    dummy_hash: str


def init_app(app: Flask) -> None:
    profile = app.config["PASSWORD_HASH_PROFILE"]
    if profile not in PROFILES:
        raise RuntimeError(f"PASSWORD_HASH_PROFILE must be one of {sorted(PROFILES)}, not {profile!r}")
    hasher = PasswordHasher.from_parameters(PROFILES[profile])
    app.extensions[_EXTENSION] = Passwords(hasher, hasher.hash(secrets.token_urlsafe(16)))


def passwords() -> Passwords:
    return current_app.extensions[_EXTENSION]
