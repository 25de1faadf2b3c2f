"""What is stored, as plain values: contests with their state, votes, receipts, and the two ways
storage can fail. The rules (voting, closing) work on these and never see DynamoDB; the ports
(`ports.py`) are written in them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from chalicelib.voting.contest import Contest
from chalicelib.voting.tally import TallyResult

STATE_SCHEDULED = "scheduled"
STATE_CLOSED = "closed"  # no more votes; the tally may run (again, if it crashed)
STATE_TALLIED = "tallied"  # the result is stored and never changes


class StorageUnavailable(RuntimeError):
    """DynamoDB throttled, failed or could not be reached: answer 503 and let the client retry."""


class ConcurrentUpdate(RuntimeError):
    """Somebody changed the contest between our read and our write."""


@dataclass(frozen=True)
class StoredContest:
    contest: Contest
    state: str
    revision: int
    result: TallyResult | None = None

    def status(self, now: datetime) -> str:
        """upcoming / open / closed by the window while scheduled; then its state (closed, tallied)."""
        return self.contest.status_at(now) if self.state == STATE_SCHEDULED else self.state


@dataclass(frozen=True)
class VoteRecord:
    contest: str
    voter: str
    receipt: str
    nominee: str
    nomination: str
    cast_at: str
    certificate_serial: str
    certificate_issuer: str
    algorithm: str
    cms: bytes
    content: bytes | None = None


@dataclass(frozen=True)
class ReceiptRecord:
    contest: str
    nominee: str
    nomination: str
    cast_at: str
