"""Admin sign-in with the administrator's own ЭЦП, and the short-lived session token it earns.

1. `POST /admin/challenges` → a challenge (purpose `admin-login`, scope `admin`), 3 minutes.
2. The admin signs `{"v": 1, "purpose": "admin-login", "challenge": "<token>"}` in NCALayer with
   any NCA key of theirs (AUTH keys too) and posts `{"cms"}` to `POST /admin/sessions`.
3. The signature, path and revocation are checked by the same verifier as votes; the IIN must be
   listed in `VOTING_ADMIN_IINS`; the challenge's nonce is spent (one conditional write, so the
   same signed document never opens a second session); the answer is a Bearer token valid for
   15 minutes.

The token never carries the IIN: it is bound to the admin's *actor* — a keyed hash of the IIN
(`Keys.audit`) — which is also what the audit log names. Token: `a1.<expires>.<actor>.<mac>`,
MAC = HMAC-SHA256 (`Keys.admin_session`) over the first three parts. Pure: no AWS or Chalice.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.verify.policy import ADMIN
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.voting import challenge, tokens
from chalicelib.voting.ballot import ADMIN_LOGIN_KEYS, load_signed_json
from chalicelib.voting.keys import Keys, mac
from chalicelib.voting.ports import ChallengeStore
from chalicelib.voting.rejection import Rejection, verifier_refusals
from chalicelib.voting.signed_body import read_signed_body

SESSION_LIFETIME = timedelta(minutes=15)
ADMIN_SCOPE = "admin"
ADMIN_LOGIN_PURPOSE = "admin-login"
_VERSION = "a1"


def actor_of(keys: Keys, iin: str) -> str:
    """Who did it, for tokens and audit logs: a keyed hash of the IIN (reveals nothing)."""
    return mac(keys.audit, "admin-actor", iin).hex()[:32]


@dataclass(frozen=True)
class Session:
    token: str
    actor: str
    expires_at: datetime


def issue_token(keys: Keys, actor: str, now: datetime, lifetime: timedelta = SESSION_LIFETIME) -> Session:
    token, expires = tokens.seal(keys.admin_session, _VERSION, now + lifetime, actor)
    return Session(token, actor, expires)


def read_token(keys: Keys, token: object, now: datetime) -> str | None:
    """The actor of a token we issued that has not expired; None for anything else."""
    return tokens.unseal(keys.admin_session, _VERSION, token, now)


def bearer_token(header: object) -> str | None:
    """The token of an `Authorization: Bearer <token>` header."""
    if not isinstance(header, str):
        return None
    scheme, _, token = header.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def allowed_actors(keys: Keys, admin_iins: Collection[str]) -> frozenset[str]:
    return frozenset(actor_of(keys, iin) for iin in admin_iins)


class AdminSignIn:
    def __init__(self, verifier: SignatureVerifier, keys: Keys, admin_iins: Collection[str],
                 clock: Callable[[], datetime], challenges: ChallengeStore) -> None:
        self.verifier, self.keys, self.clock, self.challenges = verifier, keys, clock, challenges
        self.actors = allowed_actors(keys, admin_iins)

    def challenge(self) -> challenge.Challenge:
        return challenge.issue(self.keys.challenge, challenge.ADMIN_LOGIN, ADMIN_SCOPE, self.clock(),
                               challenge.ADMIN_LOGIN_LIFETIME)

    def sign_in(self, body: bytes) -> Session:
        """Verify the signed admin-login document; raise `Rejection` (401/403/4xx) otherwise."""
        cms_der, detached = read_signed_body(body)
        now = self.clock()
        with verifier_refusals():
            signed = self.verifier.verify(cms_der, now, detached, profile=ADMIN)
        document = load_signed_json(signed.content, ADMIN_LOGIN_KEYS)
        if document["purpose"] != ADMIN_LOGIN_PURPOSE:
            raise Rejection("invalid_ballot", "not an admin-login document")
        issued = challenge.opened(self.keys.challenge, challenge.ADMIN_LOGIN, ADMIN_SCOPE, document["challenge"], now)
        if issued is None:
            raise Rejection("invalid_challenge")
        nonce, expires_at = issued
        if not signed.iin:
            raise Rejection("forbidden", "the certificate names no IIN")
        actor = actor_of(self.keys, signed.iin)
        if actor not in self.actors:
            raise Rejection("forbidden", f"actor {actor} is not an administrator")
        # Last, so only a listed admin's valid sign-in costs a write.
        if not self.challenges.spend_challenge(f"{ADMIN_LOGIN_PURPOSE}:{nonce}", expires_at):
            raise Rejection("invalid_challenge", f"admin-login challenge replayed (actor {actor})")
        return issue_token(self.keys, actor, now)
