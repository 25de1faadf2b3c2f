"""Challenge tokens: a keyed MAC over (purpose, contest, nonce, expiry).

A ballot's challenge proves the ballot was signed for this contest recently; it needs no storage,
so issuing one costs no database write. Replaying it within its lifetime gains nothing: one vote
per person is enforced by the IIN, not by the challenge. An admin-login challenge is different —
a replayed sign-in would mint a new session — so it lives 3 minutes and its nonce is spent once
(`admin_session.AdminSignIn`, `ports.ChallengeStore`).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.voting import tokens

LIFETIME = timedelta(minutes=10)
ADMIN_LOGIN_LIFETIME = timedelta(minutes=3)  # time to choose the key in NCALayer and type its password
VOTE = "vote"
ADMIN_LOGIN = "admin-login"
RECEIPT_REQUEST = "receipt-request"  # a citizen asks for their own receipt (any time, open or not)
_VERSION = "c1"


@dataclass(frozen=True)
class Challenge:
    token: str
    expires_at: datetime


def issue(key: bytes, purpose: str, scope: str, now: datetime, lifetime: timedelta = LIFETIME) -> Challenge:
    token, expires = tokens.seal(key, _VERSION, now + lifetime, tokens.b64url(secrets.token_bytes(16)), purpose, scope)
    return Challenge(token, expires)


def is_valid(key: bytes, purpose: str, scope: str, token: object, now: datetime) -> bool:
    """True when `token` was issued by us for this purpose and scope and has not expired."""
    return opened(key, purpose, scope, token, now) is not None


def opened(key: bytes, purpose: str, scope: str, token: object, now: datetime) -> tuple[str, datetime] | None:
    """(nonce, expiry) of a token we issued for this purpose and scope that has not expired, else None."""
    return tokens.open_sealed(key, _VERSION, token, now, purpose, scope)


def lifetime_of(token: object) -> tuple[datetime, datetime] | None:
    """(earliest issue, expiry) a challenge states, read without the key: issued `LIFETIME` before
    its expiry, which is kept in whole seconds (so up to a second earlier)."""
    expires = tokens.expiry_of(token)
    if expires is None or not isinstance(token, str) or not token.startswith(f"{_VERSION}."):
        return None
    return expires - LIFETIME - timedelta(seconds=1), expires
