"""Closing contests and storing their tallies: open → closed → tallied, each step a conditional write.

The closer runs every minute. A contest is due once `closes_at + grace` has passed; `grace` is
longer than the vote function's timeout, so every vote accepted before `closes_at` has been
written by then. For each due contest: scheduled → closed (conditional on the state), count
(`tally.tally`, parallel scan), then closed → tallied with the result in ONE conditional write.
Two closers at once both count the same votes and the second write fails its condition and
changes nothing; a crash after counting leaves the contest `closed` and the next run counts again.

The store is injected (the `storage` module in production). No Chalice here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from chalicelib import logs
from chalicelib.config import ConfigurationError
from chalicelib.contest import iso_utc
from chalicelib.records import (
    STATE_CLOSED,
    STATE_SCHEDULED,
    STATE_TALLIED,
    ConcurrentUpdate,
    StorageUnavailable,
    StoredContest,
)
from chalicelib.rejection import Rejection
from chalicelib.tally import DEFAULT_WORKERS, TallyError, TallyResult, VoteLine, tally

log = logging.getLogger("service.closing")

DEFAULT_GRACE = timedelta(minutes=2)
GRACE_VARIABLE = "VOTING_CLOSE_GRACE_SECONDS"
WORKERS_VARIABLE = "VOTING_TALLY_WORKERS"
VOTE_FUNCTION = "api_handler"  # Chalice's name for the function that serves every route
DEFAULT_LAMBDA_TIMEOUT = 60  # Chalice's default when a stage sets none


class ClosingStore(Protocol):
    def list_contests(self) -> list[StoredContest]: ...
    def get_contest(self, contest_id: str) -> StoredContest | None: ...
    def mark_closed(self, contest_id: str, now: datetime, closes_at: datetime | None = None) -> StoredContest: ...
    def store_result(self, contest_id: str, result: TallyResult, now: datetime) -> StoredContest: ...
    def tally_segment(self, contest_id: str, segment: int, total_segments: int) -> Iterable[VoteLine]: ...


@dataclass(frozen=True)
class ClosingSettings:
    grace: timedelta = DEFAULT_GRACE
    workers: int = DEFAULT_WORKERS

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ClosingSettings:
        env = os.environ if environ is None else environ
        try:
            grace = timedelta(seconds=float(env.get(GRACE_VARIABLE) or DEFAULT_GRACE.total_seconds()))
            workers = int(env.get(WORKERS_VARIABLE) or DEFAULT_WORKERS)
        except ValueError:
            raise ConfigurationError(f"{GRACE_VARIABLE} and {WORKERS_VARIABLE} must be numbers") from None
        if grace <= timedelta(0) or not 1 <= workers <= 64:
            raise ConfigurationError(f"{GRACE_VARIABLE} must be positive and {WORKERS_VARIABLE} within 1..64")
        return cls(grace, workers)


def grace_problems(config: Mapping[str, Any]) -> list[str]:
    """Stages of a `.chalice/config.json` whose grace does not exceed the vote function's timeout."""
    problems = []
    top_env = config.get("environment_variables", {})
    for name, stage in config.get("stages", {}).items():
        env = {**top_env, **stage.get("environment_variables", {})}
        grace = float(env.get(GRACE_VARIABLE) or DEFAULT_GRACE.total_seconds())
        function = stage.get("lambda_functions", {}).get(VOTE_FUNCTION, {})
        timeout = function.get("lambda_timeout", stage.get("lambda_timeout", config.get("lambda_timeout",
                                                                                          DEFAULT_LAMBDA_TIMEOUT)))
        if grace <= timeout:
            problems.append(f"stage {name}: grace {grace:g} s does not exceed the vote function's timeout {timeout} s")
    return problems


def check_config_file(path: Path) -> list[str]:
    return grace_problems(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True)
class Outcome:
    contest: str
    state: str
    digest: str | None
    total: int | None

    def to_json(self) -> dict[str, Any]:
        return {"contest": self.contest, "state": self.state, "digest": self.digest, "total": self.total}


class Closer:
    def __init__(self, store: ClosingStore, clock: Callable[[], datetime], settings: ClosingSettings) -> None:
        self.store, self.clock, self.settings = store, clock, settings

    def due(self, stored: StoredContest, now: datetime) -> bool:
        return stored.state != STATE_TALLIED and now >= stored.contest.closes_at + self.settings.grace

    def run(self) -> list[Outcome]:
        """Close and tally every due contest (what the schedule calls every minute)."""
        now = self.clock()
        outcomes = []
        for stored in self.store.list_contests():
            if not self.due(stored, now):
                continue
            try:
                outcome = self.finish(stored)
            except (StorageUnavailable, ConcurrentUpdate, TallyError) as error:
                # The contest stays closed (re-tallyable); the next minute's run tries again.
                logs.event(log, "tally_failed", logging.ERROR, contest=stored.contest.id, error=type(error).__name__,
                           detail=str(error))
                outcome = Outcome(stored.contest.id, "failed", None, None)
            else:
                logs.event(log, "contest_closed", **outcome.to_json())
            outcomes.append(outcome)
        return outcomes

    def finish(self, stored: StoredContest) -> Outcome:
        contest_id = stored.contest.id
        if stored.state == STATE_SCHEDULED:
            stored = self.store.mark_closed(contest_id, self.clock())
        if stored.state == STATE_CLOSED:
            result = self.count(stored)
            stored = self.store.store_result(contest_id, result, self.clock())
        return _outcome(stored)

    def count(self, stored: StoredContest, until: datetime | None = None) -> TallyResult:
        contest_id = stored.contest.id

        def scan(segment: int, total: int) -> Iterable[VoteLine]:
            return self.store.tally_segment(contest_id, segment, total)

        return tally(stored.contest, scan, self.clock(), self.settings.workers, closes_at=until)

    def close_early(self, contest_id: str) -> StoredContest:
        """End voting now (idempotent). The tally follows once the grace has passed."""
        stored = self.store.get_contest(contest_id)
        if stored is None:
            raise Rejection("contest_not_found")
        if stored.state != STATE_SCHEDULED:
            return stored
        now = self.clock()
        if now < stored.contest.opens_at:
            raise Rejection("voting_not_open", "a contest that has not opened cannot be closed; move its dates")
        return self.store.mark_closed(contest_id, now, min(now, stored.contest.closes_at))

    def tally_due_at(self, stored: StoredContest) -> datetime:
        return stored.contest.closes_at + self.settings.grace

    def provisional(self, stored: StoredContest) -> TallyResult:
        """Counts so far (admins, while voting is open or before the tally): the same tally and
        rule; it is provisional because votes may still arrive."""
        return self.count(stored)


def _outcome(stored: StoredContest) -> Outcome:
    result = stored.result
    return Outcome(stored.contest.id, stored.state, result.digest if result else None,
                   result.total if result else None)


def describe(stored: StoredContest, closer: Closer) -> str:
    if stored.state == STATE_TALLIED and stored.result is not None:
        return f"{stored.contest.id}: tallied, {stored.result.total} votes, digest {stored.result.digest}"
    return (f"{stored.contest.id}: {stored.state}, voting ended at {iso_utc(stored.contest.closes_at)}; "
            f"the tally runs from {iso_utc(closer.tally_due_at(stored))}")
