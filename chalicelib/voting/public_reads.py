"""What anyone may read — the contest list, a contest, its published results — answered from the
process's copies, with how long a cache in front (API Gateway, CloudFront, the browser) may keep
each answer. No public read costs a database read per request, nor grows with the number of views.

- The list: every contest's summary (`ContestCache.summaries`, one read of the summary index per
  5 s per process; never the contest files).
- A contest: the cached contest; its file form is built once per revision.
- Results: once tallied a result never changes (`closing`: it is written once), so the document is
  built once per process and may be kept an hour by any cache.
A list or contest answer may be kept no longer than the cache's lifetime and never past the next
opening or closing it shows, so a cached status is never a boundary out of date.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from chalicelib.voting.contest_cache import ContestCache
from chalicelib.voting.egov_mobile import Organisation
from chalicelib.voting.presenters import contest_details, contest_summary
from chalicelib.voting.records import STATE_TALLIED, ContestSummary, StoredContest
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.results import FINAL, results_document
from chalicelib.voting.timed_cache import TimedCache

FINAL_RESULTS_SECONDS = 3600  # how long a cache in front may keep published results (they never change)


@dataclass(frozen=True)
class PublicAnswer:
    body: dict[str, Any]
    max_age: int  # seconds a shared cache may keep it


class PublicReads:
    def __init__(self, contests: ContestCache, clock: Callable[[], datetime], tally_grace: timedelta,
                 organisation: Organisation | None = None) -> None:
        """`tally_grace`: how long after voting ends the votes are counted (the closer's grace), to
        say when results are expected; `organisation`: the stage's, who runs a contest that names
        no organiser."""
        self.contests, self.clock = contests, clock
        self.tally_grace, self.organisation = tally_grace, organisation
        self._documents: TimedCache[tuple[str, int], dict[str, Any]] = TimedCache(math.inf)
        self._results: TimedCache[tuple[str, int], dict[str, Any]] = TimedCache(math.inf)

    def contest_list(self) -> PublicAnswer:
        now = self.clock()
        summaries = self.contests.summaries()
        return PublicAnswer({"contests": [contest_summary(s, now) for s in summaries]},
                            self._max_age(summaries, now))

    def contest(self, contest_id: str) -> PublicAnswer:
        stored = self._stored(contest_id)
        now = self.clock()
        document = self._documents.get((contest_id, stored.revision), stored.contest.to_document)
        return PublicAnswer(contest_details(stored, document, now, self.tally_grace, self.organisation),
                            self._max_age([ContestSummary.of(stored)], now))

    def results(self, contest_id: str) -> PublicAnswer:
        stored = self._stored(contest_id)
        if stored.contest.results_visibility != "public":
            raise Rejection("results_not_public")
        result = stored.result
        if stored.state != STATE_TALLIED or result is None:
            raise Rejection("results_not_ready")
        body = self._results.get((contest_id, stored.revision),
                                 lambda: results_document(stored.contest, result, FINAL))
        return PublicAnswer(body, FINAL_RESULTS_SECONDS)

    def _stored(self, contest_id: str) -> StoredContest:
        stored = self.contests.get(contest_id)
        if stored is None:
            raise Rejection("contest_not_found")
        return stored

    def _max_age(self, summaries: list[ContestSummary], now: datetime) -> int:
        """The cache's lifetime, cut at the next opening or closing among these contests."""
        ahead = [(moment - now).total_seconds() for s in summaries for moment in (s.opens_at, s.closes_at)
                 if moment > now]
        return max(0, math.floor(min([self.contests.seconds, *ahead])))
