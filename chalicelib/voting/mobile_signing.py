"""Voting from a phone: eGov mobile signs the ballot the server built, and the vote takes the one
path of every signed ballot (`VotingService.cast_signed`: the same checks, codes and one-vote rule).

The session adds one check of its own — the CMS signs exactly the session's ballot bytes — and
settles once (DESIGN.md, "Signing from a phone"):
- a PUT without a valid signature of those bytes (no or wrong token, not a CMS, other bytes, a
  digest or signature that does not verify) is refused and settles nothing; nor does `unavailable`;
- the first PUT that has one settles it: `accepted` (the vote is recorded) or `rejected` with the
  vote route's code. The same CMS again gets the same answer; any other `session_used`.

A vote that passed every check claims the session (a conditional write) just before it is
written, so two phones racing on one QR code cannot both record a vote: the loser's is never
stored.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chalicelib.verify.cms import MalformedCms, parse_signed_data
from chalicelib.voting import ballot_words, challenge, egov_mobile
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.casting import VotingService, check_window
from chalicelib.voting.contest import Nomination, Nominee
from chalicelib.voting.egov_mobile import Endpoints, Organisation
from chalicelib.voting.ports import SessionStore
from chalicelib.voting.records import StorageUnavailable, StoredContest
from chalicelib.voting.rejection import Rejection, message_for
from chalicelib.voting.signed_body import MAX_BODY_BYTES, json_body
from chalicelib.voting.signing_session import (
    ACCEPTED,
    CREATED,
    EXPIRED,
    LIFETIME,
    REJECTED,
    SETTLED,
    WAITING,
    Outcome,
    SigningSession,
    cms_digest,
    is_session_id,
    new_session_id,
    new_token,
)

# Refusals that leave the session waiting: a request that is no signature of its bytes, an
# answer not known yet, and every refusal made before the signature is checked (the contest's
# window; the certificate's path and validity, found from names and dates alone): a certificate
# anyone can make up, with any dates, would otherwise let whoever sees the QR code spoil the
# citizen's session. The phone is told why.
NOT_SETTLING = frozenset({"malformed_request", "payload_too_large", "invalid_signature", "unavailable",
                          "session_used", "voting_not_open", "voting_closed", "untrusted_certificate",
                          "certificate_expired", "certificate_not_yet_valid"})


@dataclass(frozen=True)
class StartedSession:
    id: str
    qr: str
    link: str
    expires_at: datetime

    def to_json(self) -> dict[str, str]:
        return {"id": self.id, "qr": self.qr, "link": self.link, "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True)
class Signed:
    """What eGov mobile's PUT gets: the vote recorded (now or already, with this ballot)."""

    vote: dict[str, str]
    created: bool = False  # this PUT stored a new vote (not a retry, not the session's answer again)

    def to_json(self) -> dict[str, Any]:
        return {"status": ACCEPTED, "vote": self.vote}


class MobileSigning:
    def __init__(self, voting: VotingService, sessions: SessionStore, public_url: str,
                 organisation: Organisation, observe: Callable[[str], None] | None = None) -> None:
        self.voting = voting
        self.sessions = sessions
        self.public_url = public_url
        self.organisation = organisation
        self.observe = observe or _unobserved  # told CREATED, SETTLED, EXPIRED (signing_session)

    @property
    def clock(self) -> Callable[[], datetime]:
        return self.voting.clock

    # The page

    def start(self, contest_id: str, body: bytes) -> StartedSession:
        """`POST /contests/{id}/mobile-signatures` with `{"nominee"}`: a session holding this
        contract's ballot with a fresh challenge."""
        document = json_body(body, MAX_BODY_BYTES)
        if not isinstance(document, dict) or set(document) != {"nominee"} or not isinstance(document["nominee"], str):
            raise Rejection("malformed_request", 'body must be {"nominee": "<id>"}')
        nominee = document["nominee"]
        stored = self.voting.contest(contest_id)
        now = self.clock()
        check_window(stored, now)
        if stored.contest.find_nominee(nominee) is None:
            raise Rejection("invalid_ballot", "no such nominee")
        # The session ends when its ballot's challenge does (whole seconds, the same `now >= end`), so
        # a PUT the session accepts always carries a valid challenge, and the challenge's life is
        # the one every ballot's is: the audit reads the issue time back from it.
        issued = challenge.issue(self.voting.keys.challenge, challenge.VOTE, contest_id, now, LIFETIME)
        session = SigningSession(
            id=new_session_id(), token=new_token(), contest=contest_id, nominee=nominee,
            ballot=ballot_bytes(contest_id, nominee, issued.token), created_at=now, expires_at=issued.expires_at,
        )
        if not self.sessions.create_session(session):  # 128 random bits never collide; fail closed if they do
            raise StorageUnavailable("session id taken")
        self.observe(CREATED)
        endpoints = Endpoints(self.public_url, session.id)
        return StartedSession(session.id, endpoints.qr_text, endpoints.same_device_link, session.expires_at)

    def poll(self, contest_id: str, session_id: str, language: str) -> dict[str, Any]:
        """`GET /contests/{id}/mobile-signatures/{sid}`: where the session stands."""
        session = self._find(session_id)
        if session.contest != contest_id:
            raise Rejection("session_not_found", "session of another contest")
        status = session.status_at(self.clock())
        if status == EXPIRED:
            self.observe(EXPIRED)
        vote = _vote(session) if status == ACCEPTED else None
        error = None
        if status == REJECTED and session.error:
            error = {"error": session.error, "message": message_for(session.error, language)}
        return {"status": status, "vote": vote, "error": error}

    def qr_text(self, contest_id: str, session_id: str) -> str:
        """The QR code's text of a live session (the page shows it as an image)."""
        session = self._live(session_id)
        if session.contest != contest_id:
            raise Rejection("session_not_found", "session of another contest")
        return Endpoints(self.public_url, session.id).qr_text

    # eGov mobile

    def describe(self, session_id: str, language: str | None) -> dict[str, object]:
        """API 1: what is asked, by whom, until when, and where the document is."""
        session = self._live(session_id)
        stored, nomination, nominee = self._ballot_paper(session)
        text = ballot_words.description(stored.contest, nomination, nominee, language)
        return egov_mobile.api1(text, session.expires_at, self.organisation, Endpoints(self.public_url, session.id),
                                session.token)

    def document(self, session_id: str, authorization: str | None, language: str | None) -> dict[str, object]:
        """API 2 (GET): the ballot bytes to sign, named in words."""
        session = self._authorized(session_id, authorization)
        stored, nomination, nominee = self._ballot_paper(session)
        return egov_mobile.api2(ballot_words.ballot_document(stored.contest, nomination, nominee, session.ballot,
                                                             language))

    def sign(self, session_id: str, authorization: str | None, body: bytes) -> Signed:
        """API 2 (PUT): the signed ballot, verified and recorded as `POST /contests/{id}/votes` is."""
        if not is_session_id(session_id):
            raise Rejection("session_not_found")
        if len(body) > MAX_BODY_BYTES:
            raise Rejection("payload_too_large")
        session = self._find(session_id)
        self._check_token(session, authorization)
        cms_der = egov_mobile.read_signed_document(body)
        digest = cms_digest(cms_der)
        if not (session.status != WAITING and session.claim == digest):  # its own answer outlives the session
            self._check_live(session)
        if session.status != WAITING or (session.claim is not None and session.claim != digest):
            return self._settled_answer(session, digest)
        _check_signs_the_ballot(cms_der, session.ballot)
        try:
            vote = self.voting.cast_signed(session.contest, cms_der,
                                           before_write=lambda: self._claim(session.id, digest))
        except Rejection as refusal:
            if refusal.code in NOT_SETTLING:
                raise
            self._settle(session.id, digest, Outcome(REJECTED, error=refusal.code))
            raise
        self._settle(session.id, digest, Outcome(ACCEPTED, receipt=vote.receipt, cast_at=vote.cast_at))
        return Signed(vote.to_json(), created=vote.created)

    # Rules

    def _find(self, session_id: str) -> SigningSession:
        found = self.sessions.get_session(session_id) if is_session_id(session_id) else None
        if found is None:
            raise Rejection("session_not_found")
        return found

    def _live(self, session_id: str) -> SigningSession:
        session = self._find(session_id)
        self._check_live(session)
        return session

    def _check_live(self, session: SigningSession) -> None:
        if session.is_expired(self.clock()):
            self.observe(EXPIRED)
            raise Rejection("session_expired")

    def _authorized(self, session_id: str, authorization: str | None) -> SigningSession:
        session = self._live(session_id)
        self._check_token(session, authorization)
        return session

    @staticmethod
    def _check_token(session: SigningSession, authorization: str | None) -> None:
        token = egov_mobile.bearer_token(authorization)
        if token is None or not hmac.compare_digest(token.encode(), session.token.encode()):
            raise Rejection("unauthorized", "no or wrong eGov mobile token")

    def _ballot_paper(self, session: SigningSession) -> tuple[StoredContest, Nomination, Nominee]:
        stored = self.voting.contest(session.contest)
        found = stored.contest.find_nominee(session.nominee)
        if found is None:  # the ballot paper is frozen once voting opens: cannot happen
            raise Rejection("invalid_ballot", "the session's nominee is gone")
        return stored, found[0], found[1]

    def _claim(self, session_id: str, digest: bytes) -> None:
        if not self.sessions.claim_session(session_id, digest):
            raise Rejection("session_used", "another CMS claimed the session first")

    def _settle(self, session_id: str, digest: bytes, outcome: Outcome) -> None:
        if self.sessions.settle_session(session_id, digest, outcome):
            self.observe(SETTLED)
            return
        current = self._find(session_id)
        if current.status == WAITING or current.claim != digest:
            raise Rejection("session_used", "another CMS settled the session first")

    def _settled_answer(self, session: SigningSession, digest: bytes) -> Signed:
        """A session already settled (or claimed): the same CMS gets the same answer, any other
        `session_used`."""
        if session.claim != digest:
            raise Rejection("session_used")
        if session.status == ACCEPTED:
            return Signed(_vote(session))
        raise Rejection(session.error or "session_used", "the session's answer, again")


def _unobserved(_event: str) -> None:
    pass


def _vote(session: SigningSession) -> dict[str, str]:
    """The vote of an accepted session, as the vote route answers it."""
    return {"receipt": session.receipt or "", "contest": session.contest, "nominee": session.nominee,
            "cast_at": session.cast_at or ""}


def _check_signs_the_ballot(cms_der: bytes, ballot: bytes) -> None:
    """The session's own check: the CMS carries exactly the session's ballot bytes (the
    verifier then proves it signs them). Made before any certificate is looked at, so a CMS over
    other bytes is refused as such and settles nothing."""
    try:
        content = parse_signed_data(cms_der).content
    except MalformedCms:
        raise Rejection("malformed_request", "not a CMS SignedData") from None
    if content is None:
        raise Rejection("malformed_request", "eGov mobile must return an attached CMS")
    if not hmac.compare_digest(content, ballot):
        raise Rejection("invalid_ballot", "the CMS does not sign the session's ballot")
