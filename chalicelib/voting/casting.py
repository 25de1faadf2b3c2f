"""Casting a vote and checking a receipt: the path of one vote, from request bytes to storage.

The order of checks is DESIGN.md's. Storage is injected (a `ports.Store`), so this module holds
the rules and nothing about DynamoDB.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from chalicelib.verify.policy import PERSON
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.voting import challenge
from chalicelib.voting.ballot import parse_ballot, parse_receipt_request
from chalicelib.voting.clock import iso_utc, utc_now
from chalicelib.voting.contest import CLOSED, UPCOMING
from chalicelib.voting.contest_cache import CONTEST_CACHE_SECONDS, ContestCache
from chalicelib.voting.keys import Keys
from chalicelib.voting.ports import Store
from chalicelib.voting.receipt import normalize_receipt, receipt_for, voter_key
from chalicelib.voting.records import STATE_SCHEDULED, STATE_TALLIED, ReceiptRecord, StoredContest, VoteRecord
from chalicelib.voting.rejection import Rejection, verifier_refusals
from chalicelib.voting.seal import Binding, Sealer
from chalicelib.voting.signed_body import read_signed_body


@dataclass(frozen=True)
class CastVote:
    created: bool  # False: the same person sent the same ballot again
    receipt: str
    contest: str
    nominee: str
    cast_at: str
    algorithm: str

    def to_json(self) -> dict[str, str]:
        return {"receipt": self.receipt, "contest": self.contest, "nominee": self.nominee, "cast_at": self.cast_at}


class VotingService:
    def __init__(
        self,
        verifier: SignatureVerifier,
        keys: Keys,
        store: Store,
        sealer: Sealer,
        clock: Callable[[], datetime] = utc_now,
        contests: ContestCache | None = None,
    ) -> None:
        self.verifier = verifier
        self.keys = keys
        self.store = store
        self.sealer = sealer  # the commission's public key: the CMS is never stored in the clear
        self.clock = clock
        self.contests = contests or ContestCache(store, CONTEST_CACHE_SECONDS)

    def contest(self, contest_id: str) -> StoredContest:
        stored = self.contests.get(contest_id)
        if stored is None:
            raise Rejection("contest_not_found")
        return stored

    def issue_challenge(self, contest_id: str, purpose: str = challenge.VOTE) -> challenge.Challenge:
        """A challenge for a ballot (while voting is not over) or for a receipt request (any time)."""
        stored = self.contest(contest_id)
        now = self.clock()
        if purpose == challenge.VOTE and (stored.state != STATE_SCHEDULED or stored.contest.status_at(now) == CLOSED):
            raise Rejection("voting_closed")
        return challenge.issue(self.keys.challenge, purpose, contest_id, now)

    def cast(self, contest_id: str, body: bytes) -> CastVote:
        """`POST /contests/{id}/votes`: the body `{"cms", "content"?}`, then `cast_signed`."""
        cms_der, detached = read_signed_body(body)
        return self.cast_signed(contest_id, cms_der, detached)

    def cast_signed(self, contest_id: str, cms_der: bytes, detached: bytes | None = None,
                    before_write: Callable[[], None] | None = None) -> CastVote:
        """The one path of a signed ballot, whichever route brought it (the page's POST, eGov
        mobile's PUT): every check, then the one conditional write. `before_write` runs once the
        vote has passed every check, just before it is written (a signing session claims itself
        there); a refusal it raises stops the vote."""
        # An unknown contest, or one not open, is refused before any signature is checked: after
        # closing, the page's resends cost nothing. (The window is checked again below, as of the
        # moment the vote is written.)
        check_window(self.contest(contest_id), self.clock())
        with verifier_refusals():
            signature = self.verifier.verify(cms_der, self.clock(), detached)
        ballot = parse_ballot(signature.content)
        # The contest as of now, not as of before the verification (which may have waited on a CRL
        # download): the copy this decides on is at most the cache's lifetime old.
        now = self.clock()
        stored = self.contest(contest_id)
        if ballot.contest != contest_id:
            raise Rejection("invalid_ballot", "the ballot names another contest")
        found = stored.contest.find_nominee(ballot.nominee)
        if found is None:
            raise Rejection("invalid_ballot", "no such nominee")
        if not challenge.is_valid(self.keys.challenge, challenge.VOTE, contest_id, ballot.challenge, now):
            raise Rejection("invalid_challenge")
        check_window(stored, now)

        voter = voter_key(self.keys, contest_id, signature.iin)
        binding = Binding(contest_id, voter, receipt_for(self.keys, contest_id, voter), ballot.nominee, iso_utc(now))
        record = VoteRecord(
            contest=contest_id,
            voter=voter,
            receipt=binding.receipt,
            nominee=ballot.nominee,
            nomination=found[0].id,
            cast_at=binding.cast_at,
            algorithm=signature.algorithm,
            evidence=self.sealer.seal(binding, cms_der, detached),
        )
        if before_write is not None:
            before_write()
        existing = self.store.record_vote(record)
        if existing is None:
            return CastVote(True, record.receipt, contest_id, record.nominee, record.cast_at, record.algorithm)
        if existing.nominee == record.nominee:
            return CastVote(False, existing.receipt, contest_id, existing.nominee, existing.cast_at, record.algorithm)
        raise Rejection("already_voted")

    def check_receipt(self, text: str) -> dict[str, object]:
        receipt = normalize_receipt(text)
        if receipt is None:
            raise Rejection("receipt_not_found")
        found = self.store.find_receipt(receipt)
        if found is None:
            raise Rejection("receipt_not_found")
        return self._receipt_answer(found)

    def recover_receipt(self, contest_id: str, body: bytes) -> dict[str, object]:
        """`POST /contests/{id}/receipt-requests`: the signer's own receipt in this contest. The
        request `{"v": 1, "purpose": "receipt-request", "contest", "challenge"}` is signed with any
        key of an individual (the verifier's `PERSON` profile: a sign-in key too); the person is the
        certificate's IIN, as for a vote, so any of their certificates finds the same vote. Nothing
        is written."""
        cms_der, detached = read_signed_body(body)
        self.contest(contest_id)
        now = self.clock()
        with verifier_refusals():
            signed = self.verifier.verify(cms_der, now, detached, profile=PERSON)
        request = parse_receipt_request(signed.content)
        if request.contest != contest_id:
            raise Rejection("invalid_ballot", "the receipt request names another contest")
        if not challenge.is_valid(self.keys.challenge, challenge.RECEIPT_REQUEST, contest_id, request.challenge, now):
            raise Rejection("invalid_challenge")
        receipt = receipt_for(self.keys, contest_id, voter_key(self.keys, contest_id, signed.iin))
        found = self.store.find_receipt(receipt)
        if found is None or found.contest != contest_id:
            raise Rejection("vote_not_found")
        return {"receipt": receipt, **self._receipt_answer(found)}

    def _receipt_answer(self, found: ReceiptRecord) -> dict[str, object]:
        stored = self.contests.get(found.contest)
        counted = None  # not known until the tally
        if stored is not None and stored.state == STATE_TALLIED:
            counted = found.cast_at < iso_utc(stored.contest.closes_at)  # the tally's one rule
        return {"contest": found.contest, "nominee": found.nominee, "cast_at": found.cast_at, "counted": counted}


def check_window(stored: StoredContest, now: datetime) -> None:
    """`voting_not_open` before the window, `voting_closed` after it or once the contest is closed."""
    status = stored.contest.status_at(now)
    if status == UPCOMING:
        raise Rejection("voting_not_open")
    if status == CLOSED or stored.state != STATE_SCHEDULED:
        raise Rejection("voting_closed")
