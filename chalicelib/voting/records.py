"""What is stored, as plain values: contests with their state, votes, receipts, and the two ways
storage can fail. The rules (voting, closing) work on these and never see DynamoDB; the ports
(`ports.py`) are written in them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from chalicelib.voting.contest import Contest, window_status
from chalicelib.voting.tally import TallyResult

STATE_SCHEDULED = "scheduled"
STATE_CLOSED = "closed"  # no more votes; the tally may run (again, if it crashed)
STATE_TALLIED = "tallied"  # the result is stored and never changes


class StorageUnavailable(RuntimeError):
    """DynamoDB throttled, failed or could not be reached: answer 503 and let the client retry."""


class ConcurrentUpdate(RuntimeError):
    """Somebody changed the contest between our read and our write."""


def closed_early(planned_closes_at: datetime | None, closes_at: datetime) -> bool:
    """The commission ended voting before the end it had been planned for."""
    return planned_closes_at is not None and planned_closes_at > closes_at


@dataclass(frozen=True)
class StoredContest:
    contest: Contest
    state: str
    revision: int
    result: TallyResult | None = None
    # The closes_at the contest had when the commission closed it early (then later than the
    # contest's own closes_at); None when it closed on time or is still open.
    planned_closes_at: datetime | None = None

    @property
    def closed_early(self) -> bool:
        return closed_early(self.planned_closes_at, self.contest.closes_at)

    def status(self, now: datetime) -> str:
        """upcoming / open / closed by the window while scheduled; then its state (closed, tallied)."""
        return self.contest.status_at(now) if self.state == STATE_SCHEDULED else self.state


@dataclass(frozen=True)
class ContestSummary:
    """What the contest list and the closer read of a contest: no nominations, so reading every
    contest's summary costs bytes per contest, not the size of its file."""

    id: str
    title: Mapping[str, str]
    opens_at: datetime  # UTC
    closes_at: datetime  # UTC
    state: str
    planned_closes_at: datetime | None = None  # as `StoredContest.planned_closes_at`

    @classmethod
    def of(cls, stored: StoredContest) -> ContestSummary:
        contest = stored.contest
        return cls(contest.id, dict(contest.title), contest.opens_at, contest.closes_at, stored.state,
                   stored.planned_closes_at)

    @property
    def closed_early(self) -> bool:
        return closed_early(self.planned_closes_at, self.closes_at)

    def status(self, now: datetime) -> str:
        """upcoming / open / closed by the window while scheduled; then its state (closed, tallied)."""
        return window_status(self.opens_at, self.closes_at, now) if self.state == STATE_SCHEDULED else self.state


@dataclass(frozen=True)
class VoteRecord:
    """One stored vote. Nothing here names the voter: `voter` is a keyed hash of the IIN and the
    CMS (which carries the IIN, name and certificate serial) is only kept sealed."""

    contest: str
    voter: str
    receipt: str
    nominee: str
    nomination: str
    cast_at: str
    algorithm: str  # of the signature, e.g. "GOST 34.10-2015/512": counts per algorithm, no identity
    evidence: bytes  # the CMS sealed to the commission's key and bound to this record (`seal.py`)


@dataclass(frozen=True)
class ReceiptRecord:
    contest: str
    nominee: str
    nomination: str
    cast_at: str
