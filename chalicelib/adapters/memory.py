"""The store in memory: the same ports as DynamoDB (`voting.ports.Store`), with the same conditional
writes, for the rules' tests and for tools that need no server. Thread-safe, one lock."""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import Contest
from chalicelib.voting.records import (
    STATE_CLOSED,
    STATE_SCHEDULED,
    STATE_TALLIED,
    ContestSummary,
    ReceiptRecord,
    StoredContest,
    VoteRecord,
)
from chalicelib.voting.signing_session import WAITING, Outcome, SigningSession
from chalicelib.voting.tally import TallyResult, VoteLine


@dataclass(frozen=True)
class _Held:
    stored: StoredContest
    updated_at: str


class MemoryStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._contests: dict[str, _Held] = {}
        self._votes: dict[tuple[str, str], VoteRecord] = {}
        self._receipts: dict[str, tuple[str, str]] = {}
        self._sessions: dict[str, SigningSession] = {}
        self._spent: dict[str, datetime] = {}

    # Contests

    def get_contest(self, contest_id: str) -> StoredContest | None:
        with self._lock:
            held = self._contests.get(contest_id)
            return held.stored if held else None

    def list_summaries(self) -> list[ContestSummary]:
        with self._lock:
            held = sorted((h.stored for h in self._contests.values()), key=lambda s: s.contest.opens_at)
        return [ContestSummary.of(stored) for stored in held]

    def create_contest(self, contest: Contest, now: datetime) -> bool:
        with self._lock:
            if contest.id in self._contests:
                return False
            self._contests[contest.id] = _Held(StoredContest(contest, STATE_SCHEDULED, 1), iso_utc(now))
            return True

    def update_contest(self, contest: Contest, revision: int, now: datetime) -> bool:
        return self._change(contest.id, lambda s: s.revision == revision,
                            lambda s: replace(s, contest=contest, revision=s.revision + 1), now)

    def close_contest(self, contest: Contest, revision: int, now: datetime,
                      planned_closes_at: datetime | None = None) -> bool:
        return self._change(contest.id, lambda s: s.state == STATE_SCHEDULED and s.revision == revision,
                            lambda s: replace(s, contest=contest, state=STATE_CLOSED, revision=s.revision + 1,
                                              planned_closes_at=planned_closes_at), now)

    def store_result(self, contest_id: str, result: TallyResult, now: datetime) -> bool:
        return self._change(contest_id, lambda s: s.state == STATE_CLOSED and s.result is None,
                            lambda s: replace(s, state=STATE_TALLIED, result=result, revision=s.revision + 1), now)

    def _change(self, contest_id: str, condition: Callable[[StoredContest], bool],
                change: Callable[[StoredContest], StoredContest], now: datetime) -> bool:
        with self._lock:
            held = self._contests.get(contest_id)
            if held is None or not condition(held.stored):
                return False
            self._contests[contest_id] = _Held(change(held.stored), iso_utc(now))
            return True

    # Votes

    def record_vote(self, record: VoteRecord) -> VoteRecord | None:
        key = (record.contest, record.voter)
        with self._lock:
            existing = self._votes.get(key)
            if existing is not None:
                return existing
            self._votes[key] = record
            self._receipts[record.receipt] = key
            return None

    def find_receipt(self, receipt: str) -> ReceiptRecord | None:
        with self._lock:
            key = self._receipts.get(receipt)
            vote = self._votes.get(key) if key else None
        return ReceiptRecord(vote.contest, vote.nominee, vote.nomination, vote.cast_at) if vote else None

    def tally_segment(self, contest_id: str, segment: int, total_segments: int,
                      consistent: bool = True) -> Iterable[VoteLine]:
        # A stable hash of the key spreads votes over segments, as DynamoDB's partitions do.
        return [VoteLine(v.receipt, v.nominee, v.cast_at) for key, v in self._snapshot(contest_id)
                if zlib.crc32(f"{key[0]}#{key[1]}".encode()) % total_segments == segment]

    def counted_votes(self, contest_id: str, closes_at: str) -> Iterator[VoteRecord]:
        return (v for _, v in self._snapshot(contest_id) if v.cast_at < closes_at)

    def votes_of(self, contest_id: str) -> list[VoteRecord]:
        """Every stored vote of a contest (for tests and tools)."""
        return [v for _, v in self._snapshot(contest_id)]

    def _snapshot(self, contest_id: str) -> list[tuple[tuple[str, str], VoteRecord]]:
        with self._lock:
            return [(key, v) for key, v in self._votes.items() if key[0] == contest_id]

    def reach(self) -> None:
        """Memory is always there."""

    # Signing sessions (kept past their TTL: the rules read expires_at, never the deletion)

    def create_session(self, session: SigningSession) -> bool:
        with self._lock:
            if session.id in self._sessions:
                return False
            self._sessions[session.id] = session
            return True

    def get_session(self, session_id: str) -> SigningSession | None:
        with self._lock:
            return self._sessions.get(session_id)

    def claim_session(self, session_id: str, claim: bytes) -> bool:
        return self._settle(session_id, claim, lambda s: replace(s, claim=claim))

    def settle_session(self, session_id: str, claim: bytes, outcome: Outcome) -> bool:
        return self._settle(session_id, claim, lambda s: replace(
            s, claim=claim, status=outcome.status, receipt=outcome.receipt, cast_at=outcome.cast_at,
            error=outcome.error))

    def _settle(self, session_id: str, claim: bytes,
                change: Callable[[SigningSession], SigningSession]) -> bool:
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.status != WAITING or session.claim not in (None, claim):
                return False
            self._sessions[session_id] = change(session)
            return True

    # Single-use challenges

    def spend_challenge(self, nonce: str, expires_at: datetime) -> bool:
        with self._lock:
            if nonce in self._spent:
                return False
            self._spent[nonce] = expires_at
            return True
