"""What the services need of storage, as Protocols: the DynamoDB adapter and the in-memory store
(`chalicelib.adapters`) both implement them, and the services hold the rules over them.

Every write that can race is conditional and answers whether it was applied; the services decide
what a refused condition means. Storage trouble raises `records.StorageUnavailable`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Protocol

from chalicelib.voting.contest import Contest
from chalicelib.voting.records import ContestSummary, ReceiptRecord, StoredContest, VoteRecord
from chalicelib.voting.signing_session import Outcome, SigningSession
from chalicelib.voting.tally import TallyResult, VoteLine

# A contest and, once tallied, its result are one stored record; DynamoDB's item limit is 400 KB.
CONTEST_RECORD_BYTES = 400 * 1024


class ContestStore(Protocol):
    def get_contest(self, contest_id: str) -> StoredContest | None: ...

    def list_summaries(self) -> list[ContestSummary]:
        """Every contest's summary, by opening time: never the contest files themselves."""
        ...

    def create_contest(self, contest: Contest, now: datetime) -> bool:
        """Store a new contest (state scheduled, revision 1); False if the id is taken."""
        ...

    def update_contest(self, contest: Contest, revision: int, now: datetime) -> bool:
        """Replace the contest file if the stored revision is still `revision` (then revision + 1)."""
        ...

    def close_contest(self, contest: Contest, revision: int, now: datetime,
                      planned_closes_at: datetime | None = None) -> bool:
        """scheduled → closed with this contest file (an early close moves its closes_at, and
        keeps the one it had as `planned_closes_at`), if the contest is still scheduled at `revision`."""
        ...

    def store_result(self, contest_id: str, result: TallyResult, now: datetime) -> bool:
        """closed → tallied with the result in one write, if closed and without a result."""
        ...


class VoteStore(Protocol):
    def record_vote(self, record: VoteRecord) -> VoteRecord | None:
        """Write the vote unless this voter already has one in this contest: None when written,
        else the vote already stored (one conditional write, never a read first)."""
        ...

    def find_receipt(self, receipt: str) -> ReceiptRecord | None: ...

    def tally_segment(self, contest_id: str, segment: int, total_segments: int,
                      consistent: bool = True) -> Iterable[VoteLine]:
        """One segment of a parallel scan of the contest's votes, only what the tally reads;
        `consistent=False` for a provisional count (half the read cost, may miss the last second)."""
        ...

    def counted_votes(self, contest_id: str, closes_at: str) -> Iterator[VoteRecord]:
        """The stored votes with `cast_at < closes_at`, their sealed evidence and all."""
        ...


class ChallengeStore(Protocol):
    def spend_challenge(self, nonce: str, expires_at: datetime) -> bool:
        """Mark a single-use challenge's nonce spent, kept until `expires_at` (then forgotten: the
        token has expired by then): True the first time, False ever after. One conditional write."""
        ...


class Reachable(Protocol):
    def reach(self) -> None:
        """Reach the storage a vote needs with single-key reads of keys that do not exist (no
        scan; a fraction of a read unit); raise `StorageUnavailable` when it cannot."""
        ...


class CommissionKey(Protocol):
    """The commission's private key, as far as opening sealed evidence needs it: a key file on the
    commission's machine, or a KMS key only the commission's audit role may use."""

    key_id: bytes  # `seal.key_id_of` its public key

    def unwrap(self, wrapped: bytes) -> bytes:
        """The data key of one sealed record (RSA-OAEP-SHA-256); `seal.CannotUnwrap` when this key
        does not unwrap it."""
        ...


class SessionStore(Protocol):
    """eGov mobile's signing sessions: their own table, each item deleted by a TTL a while after
    it expires (the rules read `expires_at`, never the deletion)."""

    def create_session(self, session: SigningSession) -> bool:
        """Store a new session; False if its id is taken."""
        ...

    def get_session(self, session_id: str) -> SigningSession | None:
        """The session as last written (a consistent read), or None."""
        ...

    def claim_session(self, session_id: str, claim: bytes) -> bool:
        """Mark a waiting session as being settled by the CMS with this digest, unless another
        CMS claimed it first (the same digest again is applied)."""
        ...

    def settle_session(self, session_id: str, claim: bytes, outcome: Outcome) -> bool:
        """waiting → the outcome, with this claim, if still waiting and unclaimed or claimed by
        the same digest: a session is settled once."""
        ...


class Store(ContestStore, VoteStore, SessionStore, ChallengeStore, Reachable, Protocol):
    """All of them, as the composition root wires one store for every service."""
