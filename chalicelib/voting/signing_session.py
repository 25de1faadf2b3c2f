"""A signing session for eGov mobile: the ballot the server built for one citizen's choice, kept
until a phone signs it (or 10 minutes pass), and how it ended.

A session knows the contest, the nominee and the exact ballot bytes the CMS must sign; nothing
about the signer (no IIN, no name, no certificate). It is settled once: the first PUT that carries
a valid signature of those bytes ends it `accepted` (the vote is recorded) or `rejected` (with the
vote route's code); `claim` holds the SHA-256 of that CMS, so the same bytes again get the same
answer and any other CMS `session_used`.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.voting import challenge

LIFETIME = challenge.LIFETIME  # a session lives as long as its ballot's challenge, and ends with it
# Kept this long after expiry (DynamoDB's TTL then deletes it), so the page polling a little late
# still learns the outcome; the rules never rely on the deletion.
RETENTION = timedelta(days=1)

WAITING, ACCEPTED, REJECTED, EXPIRED = "waiting", "accepted", "rejected", "expired"
# What happens to a session, as its service tells an observer (the operators' metrics): made,
# settled by the first valid signature, or found expired (by a page polling it or a phone late).
CREATED, SETTLED = "created", "settled"

ID_BYTES = 16  # 128 bits of randomness
TOKEN_BYTES = 32  # 256 bits, drawn separately from the id
SESSION_ID = re.compile(r"[A-Za-z0-9_-]{22}")  # base64url of 16 bytes, unpadded
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class Outcome:
    status: str  # ACCEPTED or REJECTED
    receipt: str | None = None
    cast_at: str | None = None
    error: str | None = None  # the refusal code of a rejected vote


@dataclass(frozen=True)
class SigningSession:
    id: str
    token: str  # eGov mobile's bearer token for API 2 (handed out by API 1)
    contest: str
    nominee: str
    ballot: bytes  # the exact bytes to be signed
    created_at: datetime
    expires_at: datetime
    status: str = WAITING
    claim: bytes | None = None  # SHA-256 of the CMS that settles (or is settling) the session
    receipt: str | None = None
    cast_at: str | None = None
    error: str | None = None

    def status_at(self, now: datetime) -> str:
        """waiting, accepted or rejected; a session nobody settled in time is expired."""
        if self.status == WAITING and self.is_expired(now):
            return EXPIRED
        return self.status

    def is_expired(self, now: datetime) -> bool:
        return now >= self.expires_at


def new_session_id() -> str:
    return secrets.token_urlsafe(ID_BYTES)


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_session_id(text: object) -> bool:
    return isinstance(text, str) and SESSION_ID.fullmatch(text) is not None


def cms_digest(cms_der: bytes) -> bytes:
    """What a session remembers of the CMS that settled it: enough to know the same bytes again."""
    return hashlib.sha256(cms_der).digest()
