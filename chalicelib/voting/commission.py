"""What the commission and the public see after (and, for admins, during) the vote: results,
evidence, early close, contest and finalists uploads, and the rules of saving a contest file.
The routes and the CLI call this; storage is injected.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.closing import Closer, ClosingPolicy
from chalicelib.voting.contest import Contest, ContestError, check_update, parse_contest
from chalicelib.voting.contest_cache import MAX_CONTEST_ID
from chalicelib.voting.evidence import SealedVote, sealed_line
from chalicelib.voting.finalists import FinalistsError, changes, with_finalists
from chalicelib.voting.ports import CONTEST_RECORD_BYTES, Store
from chalicelib.voting.records import STATE_SCHEDULED, STATE_TALLIED, ConcurrentUpdate, StoredContest
from chalicelib.voting.rejection import Rejection
from chalicelib.voting.results import (
    COMMA,
    FINAL,
    PROVISIONAL,
    CsvDialect,
    by_region,
    csv_filename,
    results_csv,
    results_document,
)
from chalicelib.voting.signed_body import json_body
from chalicelib.voting.tally import TallyResult
from chalicelib.voting.timed_cache import TimedCache

MAX_EVIDENCE_BYTES = 5 * 1024 * 1024  # a Lambda response carries at most 6 MB
PROVISIONAL_SECONDS = 60.0
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
# What a contest file and its future result may take of its record; the rest is the record's
# other fields (id, times, state, revision, the title for the list).
MAX_CONTEST_BYTES = CONTEST_RECORD_BYTES - 8 * 1024

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


class Commission:
    def __init__(self, store: Store, clock: Callable[[], datetime], policy: ClosingPolicy,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.store, self.clock = store, clock
        self.closer = Closer(store, clock, policy)
        # A provisional count scans every vote of the contest: it is made at most once a minute per
        # process however often admins look (its `tallied_at` says when it was counted).
        self._provisional: TimedCache[str, TallyResult] = TimedCache(PROVISIONAL_SECONDS, monotonic)

    def _contest(self, contest_id: str) -> StoredContest:
        stored = self.store.get_contest(contest_id) if len(contest_id) <= MAX_CONTEST_ID else None
        if stored is None:
            raise Rejection("contest_not_found")
        return stored

    def admin_result(self, contest_id: str) -> tuple[StoredContest, TallyResult, str]:
        """The final result once tallied; until then a provisional count up to now."""
        stored = self._contest(contest_id)
        if stored.state == STATE_TALLIED and stored.result is not None:
            return stored, stored.result, FINAL
        if self.clock() < stored.contest.opens_at:
            raise Rejection("voting_not_open")
        return stored, self._provisional.get(stored.contest.id, lambda: self.closer.provisional(stored)), PROVISIONAL

    def admin_results(self, contest_id: str) -> dict[str, Any]:
        stored, result, status = self.admin_result(contest_id)
        document = results_document(stored.contest, result, status, with_turnout=True)
        document["state"] = stored.status(self.clock())
        document["regions"] = by_region(stored.contest, result)
        return document

    def admin_results_csv(self, contest_id: str, language: str, dialect: CsvDialect = COMMA) -> tuple[str, bytes]:
        """The spreadsheet and its file name (which says final or provisional, and when)."""
        stored, result, status = self.admin_result(contest_id)
        return (csv_filename(stored.contest, result, status, dialect),
                results_csv(stored.contest, result, status, language, dialect))

    def sealed_votes(self, contest_id: str) -> Iterator[SealedVote]:
        """The counted votes of a tallied contest with their evidence, sealed as stored: this side
        of the commission's key nothing here names a voter."""
        stored = self._contest(contest_id)
        if stored.state != STATE_TALLIED or stored.result is None:
            raise Rejection("results_not_ready")
        return (SealedVote(v.receipt, v.contest, v.voter, v.nominee, v.cast_at, v.evidence)
                for v in self.store.counted_votes(contest_id, stored.result.closes_at))

    def evidence_lines(self, contest_id: str) -> Iterator[str]:
        return (sealed_line(vote) for vote in self.sealed_votes(contest_id))

    def evidence(self, contest_id: str, limit: int = MAX_EVIDENCE_BYTES) -> str:
        """The whole sealed evidence file when it fits one HTTP answer; `manage.py evidence` otherwise."""
        lines, size = [], 0
        for line in self.evidence_lines(contest_id):
            size += len(line.encode())
            if size > limit:
                raise Rejection("evidence_too_large")
            lines.append(line)
        return "".join(lines)

    def close(self, contest_id: str) -> dict[str, Any]:
        stored = self.closer.close_early(contest_id)
        return {"contest": stored.contest.id, "state": stored.state, "closes_at": iso_utc(stored.contest.closes_at),
                "closed_early": stored.closed_early, "tally_from": iso_utc(self.closer.tally_due_at(stored))}

    def upload_contest(self, contest_id: str, body: bytes) -> dict[str, Any]:
        return self._save(contest_id, json_body(body, MAX_UPLOAD_BYTES, "the contest file"))

    def preview_finalists(self, contest_id: str, body: bytes) -> dict[str, Any]:
        """What `upload_finalists` would change, nominee by nominee, without changing anything;
        refused as the upload would be (a bad row, voting already open). `revision` is the one
        compared: upload with it, and the upload is refused if the contest changed meanwhile."""
        stored, contest = self._with_finalists(contest_id, body)
        try:
            check_stored_size(contest)
            self._check_change(stored, contest, self.clock())
        except ContestError as error:
            raise Rejection("invalid_contest", str(error)) from None
        return {"contest": contest_id, "revision": stored.revision,
                "nominees": sum(len(n.nominees) for n in contest.nominations),
                "changes": changes(stored.contest, contest)}

    def upload_finalists(self, contest_id: str, body: bytes, revision: int | None = None) -> dict[str, Any]:
        """Replace the nominees of an existing (not yet open) contest with a spreadsheet's rows;
        with `revision` (a preview's), only if nobody changed the contest since."""
        stored, contest = self._with_finalists(contest_id, body)
        if revision is not None and revision != stored.revision:
            raise Rejection("contest_changed", f"revision {stored.revision}, previewed {revision}")
        try:  # written only over the revision the rows were merged into
            return self._save(contest_id, contest.to_document(), based_on=stored)
        except ConcurrentUpdate:
            raise Rejection("contest_changed", f"changed since revision {stored.revision}") from None

    def _with_finalists(self, contest_id: str, body: bytes) -> tuple[StoredContest, Contest]:
        if len(body) > MAX_UPLOAD_BYTES:
            raise Rejection("payload_too_large")
        stored = self._contest(contest_id)
        try:
            return stored, parse_contest(with_finalists(stored.contest.to_document(), body))
        except FinalistsError as error:
            raise Rejection("invalid_finalists", "; ".join(error.problems[:20]), error.found[:50]) from None
        except ContestError as error:
            raise Rejection("invalid_contest", str(error)) from None

    def _save(self, contest_id: str, document: Any, based_on: StoredContest | None = None) -> dict[str, Any]:
        try:
            contest = parse_contest(document)
            if contest.id != contest_id:
                raise ContestError("id", f"the file is for {contest.id!r}, not {contest_id!r}")
            outcome, stored = self.save_contest(contest, based_on)
        except ContestError as error:
            raise Rejection("invalid_contest", str(error)) from None
        return {"outcome": outcome, "contest": contest.id, "revision": stored.revision,
                "nominees": sum(len(n.nominees) for n in contest.nominations)}

    def save_contest(self, contest: Contest, based_on: StoredContest | None = None) -> tuple[str, StoredContest]:
        """Create or update; returns (created | updated | unchanged, what is stored). Applies the
        freeze rules against what is stored (or `based_on`, the stored contest the change was made
        from), and writes only if nobody changed it since that was read."""
        check_stored_size(contest)
        now = self.clock()
        existing = based_on or self.store.get_contest(contest.id)
        if existing is None:
            if not self.store.create_contest(contest, now):
                raise ConcurrentUpdate(contest.id)
            return CREATED, StoredContest(contest, STATE_SCHEDULED, 1)
        if existing.contest.to_document() == contest.to_document():
            return UNCHANGED, existing
        self._check_change(existing, contest, now)
        if not self.store.update_contest(contest, existing.revision, now):
            raise ConcurrentUpdate(contest.id)
        return UPDATED, StoredContest(contest, existing.state, existing.revision + 1)

    def _check_change(self, existing: StoredContest, contest: Contest, now: datetime) -> None:
        """The freeze rules of a change to a stored contest (an upload or its preview)."""
        if existing.state != STATE_SCHEDULED:
            raise ContestError("closes_at", f"the contest is already {existing.state}")
        check_update(existing.contest, contest, now, self.closer.policy.notice)


def largest_result(contest: Contest) -> TallyResult:
    """The largest result the tally can store for this contest: a billion votes for every nominee,
    votes in every hour of the window."""
    most = 10**9
    hours = int((contest.closes_at - contest.opens_at).total_seconds() // 3600) + 2
    return TallyResult(iso_utc(contest.closes_at), iso_utc(contest.closes_at), most * 10**3,
                       {n.id: most for nomination in contest.nominations for n in nomination.nominees},
                       {nomination.id: most for nomination in contest.nominations},
                       {f"{hour:013d}": most for hour in range(hours)}, "0" * 64)


def stored_size(contest: Contest) -> int:
    """Bytes the contest's record holds at most: its file and, after the tally, its result."""
    return len(contest.to_json().encode()) + len(largest_result(contest).dumps().encode())


def check_stored_size(contest: Contest) -> None:
    """A contest that cannot be stored (or, later, tallied) in one record is a bad file, named as
    such, never a storage failure to retry."""
    size = stored_size(contest)
    if size > MAX_CONTEST_BYTES:
        days = (contest.closes_at - contest.opens_at).days
        raise ContestError("nominations", f"the contest and its result (votes per nominee, turnout per hour of its "
                                          f"{days}-day window) take {size // 1024} KiB stored, over the "
                                          f"{MAX_CONTEST_BYTES // 1024} KiB that fit one record: shorten the "
                                          "descriptions or the window, or split the nominations over contests")
