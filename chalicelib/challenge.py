"""Stateless challenge tokens: a keyed MAC over (purpose, contest, nonce, expiry).

A challenge proves a ballot was signed for this contest recently; it needs no storage, so
issuing one costs no database write. Replaying a challenge within its lifetime gains nothing:
one vote per person is enforced by the IIN, not by the challenge.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from chalicelib.secrets import mac

LIFETIME = timedelta(minutes=10)
VOTE = "vote"
ADMIN_LOGIN = "admin-login"
_VERSION = "c1"
MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True)
class Challenge:
    token: str
    expires_at: datetime


def issue(key: bytes, purpose: str, scope: str, now: datetime, lifetime: timedelta = LIFETIME) -> Challenge:
    expires = int((now + lifetime).timestamp())
    nonce = _b64(secrets.token_bytes(16))
    body = f"{_VERSION}.{expires}.{nonce}"
    token = f"{body}.{_b64(mac(key, purpose, scope, body)[:20])}"
    return Challenge(token, datetime.fromtimestamp(expires, UTC))


def is_valid(key: bytes, purpose: str, scope: str, token: object, now: datetime) -> bool:
    """True when `token` was issued by us for this purpose and scope and has not expired."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN_LENGTH:
        return False
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != _VERSION or not (parts[1].isascii() and parts[1].isdigit()) or len(parts[1]) > 12:
        return False
    body = ".".join(parts[:3])
    expected = _b64(mac(key, purpose, scope, body)[:20])
    if not hmac.compare_digest(expected.encode(), parts[3].encode()):
        return False
    return now.timestamp() < int(parts[1])


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
