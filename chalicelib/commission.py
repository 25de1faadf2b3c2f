"""What the commission and the public see after (and, for admins, during) the vote: results,
evidence, early close, contest and finalists uploads. The routes call this; storage is injected.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from chalicelib import logs
from chalicelib.closing import Closer, ClosingSettings, ClosingStore
from chalicelib.contest import ContestError, iso_utc, parse_contest
from chalicelib.evidence import EvidenceVote, evidence_line
from chalicelib.finalists import FinalistsError, with_finalists
from chalicelib.presenters import status_of
from chalicelib.records import STATE_TALLIED, StoredContest, VoteRecord
from chalicelib.rejection import Rejection
from chalicelib.results import FINAL, PROVISIONAL, results_csv, results_document
from chalicelib.tally import TallyResult

audit_log = logging.getLogger("service.admin")
MAX_EVIDENCE_BYTES = 5 * 1024 * 1024  # a Lambda response carries at most 6 MB
MAX_UPLOAD_BYTES = 4 * 1024 * 1024


class CommissionStore(ClosingStore):
    def counted_votes(self, contest_id: str, closes_at: str) -> Iterator[VoteRecord]: ...
    def save_contest(self, contest: Any, now: datetime) -> tuple[str, StoredContest]: ...


def record_admin_action(actor: str, action: str, contest: str | None, at: datetime, **details: object) -> None:
    """One audit line per admin action: who (keyed hash of the IIN), what, when. Never an IIN or token."""
    logs.event(audit_log, "admin_action", actor=actor, action=action, contest=contest, at=iso_utc(at), **details)


class Commission:
    def __init__(self, store: CommissionStore, clock: Callable[[], datetime], settings: ClosingSettings) -> None:
        self.store, self.clock = store, clock
        self.closer = Closer(store, clock, settings)

    def _contest(self, contest_id: str) -> StoredContest:
        stored = self.store.get_contest(contest_id) if len(contest_id) <= 128 else None
        if stored is None:
            raise Rejection("contest_not_found")
        return stored

    def public_results(self, contest_id: str) -> dict[str, Any]:
        stored = self._contest(contest_id)
        if stored.contest.results_visibility != "public":
            raise Rejection("results_not_public")
        if stored.state != STATE_TALLIED or stored.result is None:
            raise Rejection("results_not_ready")
        return results_document(stored.contest, stored.result, FINAL)

    def admin_result(self, contest_id: str) -> tuple[StoredContest, TallyResult, str]:
        """The final result once tallied; until then a provisional count up to now."""
        stored = self._contest(contest_id)
        if stored.state == STATE_TALLIED and stored.result is not None:
            return stored, stored.result, FINAL
        if self.clock() < stored.contest.opens_at:
            raise Rejection("voting_not_open")
        return stored, self.closer.provisional(stored), PROVISIONAL

    def admin_results(self, contest_id: str) -> dict[str, Any]:
        stored, result, status = self.admin_result(contest_id)
        document = results_document(stored.contest, result, status, with_turnout=True)
        document["state"] = status_of(stored, self.clock())
        return document

    def admin_results_csv(self, contest_id: str, language: str) -> tuple[str, bytes]:
        stored, result, status = self.admin_result(contest_id)
        return f"{stored.contest.id}-results-{status}.csv", results_csv(stored.contest, result, language)

    def evidence_lines(self, contest_id: str) -> Iterator[str]:
        stored = self._contest(contest_id)
        if stored.state != STATE_TALLIED or stored.result is None:
            raise Rejection("results_not_ready")
        return (evidence_line(EvidenceVote(v.receipt, v.contest, v.nominee, v.cast_at, v.cms, v.content))
                for v in self.store.counted_votes(contest_id, stored.result.closes_at))

    def evidence(self, contest_id: str, limit: int = MAX_EVIDENCE_BYTES) -> str:
        """The whole evidence file when it fits one HTTP answer; `manage.py evidence` otherwise."""
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
                "tally_from": iso_utc(self.closer.tally_due_at(stored))}

    def upload_contest(self, contest_id: str, body: bytes) -> dict[str, Any]:
        if len(body) > MAX_UPLOAD_BYTES:
            raise Rejection("payload_too_large")
        try:
            document = json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Rejection("malformed_request", "the contest file is not UTF-8 JSON") from None
        return self._save(contest_id, document)

    def upload_finalists(self, contest_id: str, body: bytes) -> dict[str, Any]:
        """Replace the nominees of an existing (not yet open) contest with a spreadsheet's rows."""
        if len(body) > MAX_UPLOAD_BYTES:
            raise Rejection("payload_too_large")
        stored = self._contest(contest_id)
        try:
            document = with_finalists(stored.contest.to_document(), body)
        except FinalistsError as error:
            raise Rejection("invalid_finalists", "; ".join(error.problems[:20])) from None
        return self._save(contest_id, document)

    def _save(self, contest_id: str, document: Any) -> dict[str, Any]:
        try:
            contest = parse_contest(document)
            if contest.id != contest_id:
                raise ContestError("id", f"the file is for {contest.id!r}, not {contest_id!r}")
            outcome, stored = self.store.save_contest(contest, self.clock())
        except ContestError as error:
            raise Rejection("invalid_contest", str(error)) from None
        return {"outcome": outcome, "contest": contest.id, "revision": stored.revision,
                "nominees": sum(len(n.nominees) for n in contest.nominations)}


def from_runtime(current: Any) -> Commission:
    """The commission's service over the process's runtime (its store and clock)."""
    return Commission(current.voting.store, current.voting.clock, ClosingSettings.from_environment())


def for_closer() -> Commission:
    """The scheduled closer's wiring. It needs neither the secret nor the trust store, so it does not
    build the whole runtime: the installed one if any (tests, tools), else storage from the environment."""
    from chalicelib import runtime, storage
    from chalicelib.config import StorageLocation
    from chalicelib.voting import utc_now

    installed = runtime._current  # the process's runtime if one is already built or installed
    if installed is not None:
        return from_runtime(installed)
    location = StorageLocation.from_environment()
    storage.configure(location.table_prefix, location.endpoint, location.region)
    return Commission(storage, utc_now, ClosingSettings.from_environment())
