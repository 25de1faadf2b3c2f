"""Counting the votes of a closed contest: exact, reproducible, and in memory that does not grow
with the number of votes.

The rule is one: a vote counts when `cast_at < closes_at` (both fixed-width UTC ISO 8601, so
text order is time order). The result carries counts per nominee and per nomination, the total,
the turnout per hour and a digest anyone can recompute from the evidence:

    digest = SHA-256 over the lines "<receipt>,<nominee>\\n" of every counted vote, sorted
             bytewise (receipts are unique, fixed-width ASCII), UTF-8, no header, hex lower-case.

    e.g.  LC_ALL=C sort lines.txt | sha256sum

Counting runs as parallel workers, one per scan segment (the scan itself is injected: storage
supplies it). Each worker keeps only the per-nominee counts and spills its digest lines to sorted
runs on disk; the runs are merged (heap merge) into the hash at the end. Pure: no AWS here.
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.voting.contest import Contest, iso_utc

DEFAULT_WORKERS = 8
RUN_LINES = 10_000  # lines held in memory per worker before they are sorted onto disk


class TallyError(RuntimeError):
    """The votes cannot be counted as they are (a vote names a nominee the contest lacks)."""


@dataclass(frozen=True)
class VoteLine:
    """What the tally reads of one vote (the scan's projection)."""

    receipt: str
    nominee: str
    cast_at: str


def counts(cast_at: str, closes_at: str) -> bool:
    """The one rule: a vote cast strictly before `closes_at` is counted."""
    return cast_at < closes_at


def digest_line(receipt: str, nominee: str) -> str:
    return f"{receipt},{nominee}\n"


def digest_of(sorted_lines: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for line in sorted_lines:
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


class SortedSpool:
    """Lines in, sorted lines out, holding at most `run_lines` in memory (an external merge sort
    over temporary files)."""

    def __init__(self, run_lines: int = RUN_LINES, directory: str | None = None) -> None:
        self._run_lines = run_lines
        self._directory = directory
        self._buffer: list[str] = []
        self.runs: list[str] = []  # paths of sorted run files

    def add(self, line: str) -> None:
        self._buffer.append(line)
        if len(self._buffer) >= self._run_lines:
            self._spill()

    def _spill(self) -> None:
        if not self._buffer:
            return
        self._buffer.sort()
        handle, path = tempfile.mkstemp(prefix="tally-", suffix=".run", dir=self._directory)
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as run:
            run.writelines(self._buffer)
        self.runs.append(path)
        self._buffer = []

    def finish(self) -> None:
        self._spill()

    def discard(self) -> None:
        for path in self.runs:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        self.runs = []
        self._buffer = []


def merged_lines(spools: Iterable[SortedSpool]) -> Iterator[str]:
    """Every line of every (finished) spool, in sorted order."""
    paths = [path for spool in spools for path in spool.runs]
    with ExitStack() as stack:
        files = [stack.enter_context(open(path, encoding="utf-8", newline="")) for path in paths]
        yield from heapq.merge(*files)


@dataclass
class PartialTally:
    """One worker's share: counts and sorted digest lines of the votes it saw."""

    votes: Counter[str] = field(default_factory=Counter)
    hours: Counter[str] = field(default_factory=Counter)
    spool: SortedSpool = field(default_factory=SortedSpool)

    def add(self, vote: VoteLine, closes_at: str) -> None:
        if not counts(vote.cast_at, closes_at):
            return
        self.votes[vote.nominee] += 1
        self.hours[vote.cast_at[:13]] += 1  # "YYYY-MM-DDTHH", UTC
        self.spool.add(digest_line(vote.receipt, vote.nominee))


@dataclass(frozen=True)
class TallyResult:
    """The stored, immutable result of a contest."""

    closes_at: str
    tallied_at: str
    total: int
    nominees: dict[str, int]  # nominee id -> votes (every nominee of the contest, zeros too)
    nominations: dict[str, int]  # nomination id -> votes
    turnout: dict[str, int]  # "YYYY-MM-DDTHH" (UTC hour) -> votes
    digest: str

    def to_json(self) -> dict[str, Any]:
        return {"closes_at": self.closes_at, "tallied_at": self.tallied_at, "total": self.total,
                "nominees": dict(self.nominees), "nominations": dict(self.nominations),
                "turnout": dict(self.turnout), "digest": self.digest}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TallyResult:
        return cls(data["closes_at"], data["tallied_at"], int(data["total"]), dict(data["nominees"]),
                   dict(data["nominations"]), dict(data.get("turnout", {})), data["digest"])

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True, separators=(",", ":"))


Scan = Callable[[int, int], Iterable[VoteLine]]  # (segment, total_segments) -> votes of that segment


def tally(contest: Contest, scan: Scan, now: datetime, workers: int = DEFAULT_WORKERS,
          run_lines: int = RUN_LINES, closes_at: datetime | None = None) -> TallyResult:
    """Count the contest's votes cast before `closes_at` (the contest's own by default; an earlier
    moment gives a provisional count) with `workers` parallel scan segments."""
    if workers < 1:
        raise ValueError("workers must be at least 1")
    cutoff = iso_utc(closes_at or contest.closes_at)

    def work(segment: int) -> PartialTally:
        partial = PartialTally(spool=SortedSpool(run_lines))
        for vote in scan(segment, workers):
            partial.add(vote, cutoff)
        partial.spool.finish()
        return partial

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="tally") as pool:
        futures = [pool.submit(work, segment) for segment in range(workers)]
        partials: list[PartialTally] = []
        errors: list[BaseException] = []
        for future in futures:
            try:
                partials.append(future.result())
            except BaseException as error:  # collect, clean every spool, then re-raise the first
                errors.append(error)
    try:
        if errors:
            raise errors[0]
        return _combine(contest, partials, cutoff, iso_utc(now))
    finally:
        for partial in partials:
            partial.spool.discard()


def _combine(contest: Contest, partials: list[PartialTally], cutoff: str, tallied_at: str) -> TallyResult:
    votes: Counter[str] = Counter()
    hours: Counter[str] = Counter()
    for partial in partials:
        votes.update(partial.votes)
        hours.update(partial.hours)
    unknown = sorted(nominee for nominee in votes if contest.find_nominee(nominee) is None)
    if unknown:
        raise TallyError(f"{len(unknown)} stored nominee ids are not in the contest")
    nominees = {n.id: votes.get(n.id, 0) for nomination in contest.nominations for n in nomination.nominees}
    nominations = {m.id: sum(nominees[n.id] for n in m.nominees) for m in contest.nominations}
    return TallyResult(
        closes_at=cutoff,
        tallied_at=tallied_at,
        total=sum(nominees.values()),
        nominees=nominees,
        nominations=nominations,
        turnout=dict(sorted(hours.items())),
        digest=digest_of(merged_lines(p.spool for p in partials)),
    )
