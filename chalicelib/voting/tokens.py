"""Sealed tokens: `<version>.<expiry>.<payload>.<tag>`, the tag a keyed MAC over the rest and a
context (purpose, scope). One format for challenges and admin sessions; no storage needed."""

from __future__ import annotations

import base64
import hmac
from datetime import UTC, datetime

from chalicelib.voting.keys import mac

MAX_TOKEN_LENGTH = 200
_TAG_BYTES = 24


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def seal(key: bytes, version: str, expires: datetime, payload: str, *context: str) -> tuple[str, datetime]:
    """A token carrying `payload` (no dots) until `expires` (whole seconds); and that expiry."""
    if "." in payload:
        raise ValueError("a token payload cannot contain '.'")
    seconds = int(expires.timestamp())
    body = f"{version}.{seconds}.{payload}"
    return f"{body}.{b64url(mac(key, *context, body)[:_TAG_BYTES])}", datetime.fromtimestamp(seconds, UTC)


def unseal(key: bytes, version: str, token: object, now: datetime, *context: str) -> str | None:
    """The payload of a token we sealed for this context that has not expired; None otherwise."""
    opened = open_sealed(key, version, token, now, *context)
    return None if opened is None else opened[0]


def open_sealed(key: bytes, version: str, token: object, now: datetime,
                *context: str) -> tuple[str, datetime] | None:
    """(payload, expiry) of a token we sealed for this context that has not expired; None otherwise."""
    parts = _parts(token)
    if parts is None or parts[0] != version:
        return None
    body = ".".join(parts[:3])
    if not hmac.compare_digest(b64url(mac(key, *context, body)[:_TAG_BYTES]).encode(), parts[3].encode()):
        return None
    if now.timestamp() >= int(parts[1]):
        return None
    return parts[2], datetime.fromtimestamp(int(parts[1]), UTC)


def _parts(token: object) -> list[str] | None:
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH or not token.isascii():
        return None
    parts = token.split(".")
    if len(parts) != 4 or not parts[1].isdigit() or len(parts[1]) > 12:
        return None
    return parts


def expiry_of(token: object) -> datetime | None:
    """The expiry a token states, read without its key (for the offline audit, which has no
    secret; the signer's signature over the ballot is what vouches for the token's bytes)."""
    parts = _parts(token)
    return None if parts is None else datetime.fromtimestamp(int(parts[1]), UTC)
