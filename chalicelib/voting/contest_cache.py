"""Contests as the public path reads them: every request needs one and they change rarely, so each
is kept for `seconds` (5 by default) per process. What a stale copy may do is bounded by the
closing rules: `closing.ClosingPolicy.notice` is longer than `seconds`, so no container can accept
a vote that an early close has already put outside the counted window."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from chalicelib.voting.timed_cache import TimedCache

if TYPE_CHECKING:  # settings reads CONTEST_CACHE_SECONDS at import: keep this module light
    from chalicelib.voting.ports import ContestStore
    from chalicelib.voting.records import ContestSummary, StoredContest

MAX_CONTEST_ID = 128
CONTEST_CACHE_SECONDS = 5.0


class ContestCache:
    def __init__(self, store: ContestStore, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self._contests: TimedCache[str, StoredContest | None] = TimedCache(seconds, clock)
        self._summaries: TimedCache[None, list[ContestSummary]] = TimedCache(seconds, clock)

    @property
    def seconds(self) -> float:
        return self._contests.seconds

    def get(self, contest_id: str) -> StoredContest | None:
        if len(contest_id) > MAX_CONTEST_ID:
            return None
        return self._contests.get(contest_id, lambda: self.store.get_contest(contest_id))

    def summaries(self) -> list[ContestSummary]:
        """Every contest's summary, by opening time (one read of the summary index per `seconds`)."""
        return self._summaries.get(None, self.store.list_summaries)
