"""Closing contests and storing their tallies: open → closed → tallied, each step a conditional write.

The closer runs every minute. A contest is due once `closes_at + grace` has passed; `grace` is
longer than the vote function's timeout, so every vote accepted before `closes_at` has been
written by then. For each due contest: scheduled → closed (conditional on state and revision),
count (`tally.tally`, parallel scan), then closed → tallied with the result in ONE conditional
write. Two closers at once both count the same votes and the second write fails its condition
and changes nothing; a crash after counting leaves the contest `closed` and the next run counts
again.

The store is injected (a `ports.Store`). No Chalice or AWS here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.voting.clock import astana_text
from chalicelib.voting.contest_cache import CONTEST_CACHE_SECONDS
from chalicelib.voting.ports import Store
from chalicelib.voting.records import (
    STATE_CLOSED,
    STATE_SCHEDULED,
    STATE_TALLIED,
    ConcurrentUpdate,
    StoredContest,
)
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.tally import DEFAULT_WORKERS, TallyResult, VoteLine, tally

# Beyond the contest cache's lifetime, what may separate two functions' clocks and the moment a
# vote reads its contest from the moment it is stamped.
NOTICE_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class ClosingPolicy:
    grace: timedelta = timedelta(minutes=2)  # longer than the vote function's timeout
    workers: int = DEFAULT_WORKERS  # parallel scan segments of the tally
    # How far ahead of now an early close (or a closes_at moved earlier) ends the counted window:
    # longer than the contest cache's lifetime, so a vote a warm container still accepts on its
    # copy of the contest is cast before the new closes_at and counted. Never "accepted" and
    # then not counted, and the vote path keeps its one conditional write (README, "Closing").
    notice: timedelta = timedelta(seconds=CONTEST_CACHE_SECONDS) + NOTICE_MARGIN


@dataclass(frozen=True)
class Outcome:
    contest: str
    state: str  # closed, tallied, or failed (the contest stays closed; the next run tries again)
    digest: str | None
    total: int | None
    error: str | None = None  # why it failed: the error's kind and text, for the operators' log
    tally_seconds: float | None = None  # this run counted and stored the result, in that time
    overdue: timedelta = timedelta(0)  # how long past closes_at + grace the run found it

    def to_json(self) -> dict[str, Any]:
        return {"contest": self.contest, "state": self.state, "digest": self.digest, "total": self.total}


class Closer:
    def __init__(self, store: Store, clock: Callable[[], datetime], policy: ClosingPolicy) -> None:
        self.store, self.clock, self.policy = store, clock, policy

    def due(self, state: str, closes_at: datetime, now: datetime) -> bool:
        return state != STATE_TALLIED and now >= closes_at + self.policy.grace

    def run(self) -> list[Outcome]:
        """Close and tally every due contest (what the schedule calls every minute): it reads every
        contest's summary, and the whole contest only of those that are due."""
        now = self.clock()
        outcomes = []
        for summary in self.store.list_summaries():
            if not self.due(summary.state, summary.closes_at, now):
                continue
            overdue = now - (summary.closes_at + self.policy.grace)
            try:
                stored = self._read(summary.id)
                # The summary index is eventually consistent: a closes_at moved later may not be
                # in it yet. The contest itself decides.
                if not self.due(stored.state, stored.contest.closes_at, now):
                    continue
                overdue = now - (stored.contest.closes_at + self.policy.grace)
                outcome = replace(self.finish(stored), overdue=overdue)
            except Exception as error:  # one contest's failure (a full /tmp, a bug) never stops the others'
                outcome = Outcome(summary.id, "failed", None, None, f"{type(error).__name__}: {error}", overdue=overdue)
            outcomes.append(outcome)
        return outcomes

    def finish(self, stored: StoredContest) -> Outcome:
        if stored.state == STATE_SCHEDULED:
            stored = self.close(stored)
        seconds = None
        if stored.state == STATE_CLOSED:
            started = time.perf_counter()
            stored = self.store_tally(stored, self.count(stored))
            seconds = time.perf_counter() - started
        return replace(_outcome(stored), tally_seconds=seconds)

    def close(self, stored: StoredContest, closes_at: datetime | None = None) -> StoredContest:
        """scheduled → closed, once; with `closes_at` before the contest's own (an early close) the
        window ends there, so the tally's one rule `cast_at < closes_at` covers early closes too.
        Returns what is stored afterwards, whoever closed it."""
        if stored.state != STATE_SCHEDULED:
            return stored
        contest, planned = stored.contest, None
        if closes_at is not None and closes_at < contest.closes_at:
            contest, planned = contest.with_closes_at(closes_at), contest.closes_at
        written = self.store.close_contest(contest, stored.revision, self.clock(), planned)
        after = self._read(contest.id)
        if not written and after.state == STATE_SCHEDULED:
            raise ConcurrentUpdate(contest.id)
        return after

    def store_tally(self, stored: StoredContest, result: TallyResult) -> StoredContest:
        """closed → tallied with the result: the first tally stored wins, every later one changes
        nothing. Returns what is stored afterwards."""
        written = self.store.store_result(stored.contest.id, result, self.clock())
        after = self._read(stored.contest.id)
        if not written and after.state != STATE_TALLIED:
            raise ConcurrentUpdate(stored.contest.id)
        return after

    def count(self, stored: StoredContest, consistent: bool = True) -> TallyResult:
        contest_id = stored.contest.id

        def scan(segment: int, total: int) -> Iterable[VoteLine]:
            return self.store.tally_segment(contest_id, segment, total, consistent)

        return tally(stored.contest, scan, self.clock(), self.policy.workers)

    def close_early(self, contest_id: str) -> StoredContest:
        """End voting (idempotent): no new vote from now on wherever the closed state has been read,
        and the counted window ends `notice` from now, after every cached copy of the contest has
        expired. The tally follows once the grace has passed."""
        stored = self.store.get_contest(contest_id)
        if stored is None:
            raise Rejection("contest_not_found")
        if stored.state != STATE_SCHEDULED:
            return stored
        now = self.clock()
        if now < stored.contest.opens_at:
            raise Rejection("voting_not_open", "a contest that has not opened cannot be closed; move its dates")
        return self.close(stored, min(now + self.policy.notice, stored.contest.closes_at))

    def tally_due_at(self, stored: StoredContest) -> datetime:
        return stored.contest.closes_at + self.policy.grace

    def provisional(self, stored: StoredContest) -> TallyResult:
        """Counts so far (admins, while voting is open or before the tally): the same tally and
        rule over an eventually consistent scan (half the reads); it is provisional because votes
        may still arrive."""
        return self.count(stored, consistent=False)

    def _read(self, contest_id: str) -> StoredContest:
        stored = self.store.get_contest(contest_id)
        if stored is None:
            raise ConcurrentUpdate(f"{contest_id} vanished")
        return stored


def _outcome(stored: StoredContest) -> Outcome:
    result = stored.result
    return Outcome(stored.contest.id, stored.state, result.digest if result else None,
                   result.total if result else None)


def describe(stored: StoredContest, closer: Closer) -> str:
    """For the operator's terminal, in Astana time."""
    if stored.state == STATE_TALLIED and stored.result is not None:
        votes = f"{stored.result.total} vote" + ("" if stored.result.total == 1 else "s")
        return f"{stored.contest.id}: tallied, {votes}, digest {stored.result.digest}"
    early = f" (early: it was to close {astana_text(stored.planned_closes_at)})" \
        if stored.closed_early and stored.planned_closes_at else ""
    # An early close takes effect after its notice (a few seconds): until then voting still ends.
    ends = "voting ends" if stored.contest.closes_at > closer.clock() else "voting ended"
    return (f"{stored.contest.id}: {stored.state}, {ends} {astana_text(stored.contest.closes_at)}{early}; "
            f"the tally runs from {astana_text(closer.tally_due_at(stored))}")
