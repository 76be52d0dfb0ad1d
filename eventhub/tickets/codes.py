"""Ticket codes: a compact, versioned, Ed25519-signed payload with no personal data.

Layout of version 1 (76 bytes, 122 base32 characters):

    version (1 byte) | event id (3 bytes, big-endian) | secret (8 random bytes) | Ed25519 signature (64 bytes)

The signature covers the first 12 bytes, so a scanner holding only the event's public key can tell a genuine
ticket offline, including one issued after its last refresh. Base32 without padding keeps to the QR
alphanumeric character set (upper-case letters and digits), so 122 characters just fit a version 5 QR at error
correction level M (37×37 modules; 127 would need version 6) and a handheld scanner can type it. The secret
need not carry the whole security: nobody can mint a code without the private key.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

VERSION = 1
SECRET_BYTES = 8
_SIGNED_LEN = 4 + SECRET_BYTES
MAX_EVENT_ID = 2**24 - 1
_TOTAL_LEN = _SIGNED_LEN + 64
CODE_LENGTH = 122
MAX_CODE_INPUT = 512  # anything longer is garbage; refuse before decoding


class TicketCodeError(ValueError):
    """`reason` is a stable code: `unreadable` (not a ticket at all) or `forged` (bad signature)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class TicketPayload:
    version: int
    event_id: int
    secret: bytes
    signature: bytes

    @property
    def signed_part(self) -> bytes:
        return _header(self.version, self.event_id) + self.secret


def _header(version: int, event_id: int) -> bytes:
    if not 0 < event_id <= MAX_EVENT_ID:
        raise ValueError("event id out of range for ticket codes v1")
    return bytes([version]) + event_id.to_bytes(3, "big")


def generate_signing_key() -> bytes:
    return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def public_key_bytes(private_key: bytes) -> bytes:
    return Ed25519PrivateKey.from_private_bytes(private_key).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def encode(event_id: int, secret: bytes, private_key: bytes) -> str:
    if len(secret) != SECRET_BYTES:
        raise ValueError(f"secret must be {SECRET_BYTES} bytes")
    signed = _header(VERSION, event_id) + secret
    signature = Ed25519PrivateKey.from_private_bytes(private_key).sign(signed)
    return base64.b32encode(signed + signature).decode("ascii").rstrip("=")


def normalise(code: str) -> str:
    """What a human, a URL or a keyboard-wedge scanner may do to a code: case, spaces, a trailing newline."""
    return "".join(code.split()).upper()


def parse(code: str) -> TicketPayload:
    """Decode without verifying. Raises TicketCodeError('unreadable')."""
    if not isinstance(code, str) or not code or len(code) > MAX_CODE_INPUT:
        raise TicketCodeError("unreadable")
    text = normalise(code)
    if len(text) != CODE_LENGTH:
        raise TicketCodeError("unreadable")
    try:
        raw = base64.b32decode(text + "=" * (-len(text) % 8))
    except (binascii.Error, ValueError):
        raise TicketCodeError("unreadable") from None
    if len(raw) != _TOTAL_LEN:
        raise TicketCodeError("unreadable")
    version, event_id = raw[0], int.from_bytes(raw[1:4], "big")
    if version != VERSION or event_id == 0:
        raise TicketCodeError("unreadable")
    return TicketPayload(version, event_id, raw[4:_SIGNED_LEN], raw[_SIGNED_LEN:])


def verify(payload: TicketPayload, public_key: bytes) -> None:
    """Raises TicketCodeError('forged') unless the event's key signed this payload."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(payload.signature, payload.signed_part)
    except InvalidSignature:
        raise TicketCodeError("forged") from None


# --- backup codes: 8 characters door staff can type (no 0/O, 1/I/L) -------------------------------------------

BACKUP_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
BACKUP_LENGTH = 8


def new_backup_code() -> str:
    return "".join(secrets.choice(BACKUP_ALPHABET) for _ in range(BACKUP_LENGTH))


def normalise_backup_code(text: object) -> str | None:
    """A typed backup code in canonical form ("abcd-2345" → "ABCD2345"), or None."""
    if not isinstance(text, str) or len(text) > 32:
        return None
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    if len(cleaned) != BACKUP_LENGTH or any(ch not in BACKUP_ALPHABET for ch in cleaned):
        return None
    return cleaned


def format_backup_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}" if code else ""
