"""The offline audit of a tally from its sealed evidence file: what the commission runs on its own
machine, with its own key.

For every line: the sealed CMS opens with the commission's key and belongs to this very record
(its binding: contest, voter key, receipt, nominee, cast_at); it verifies with the same verifier
as the vote path, as of the vote's `cast_at` (signature, path to the trust anchors, revocation,
an individual's SIGN key with an IIN); the signed ballot names the line's contest and nominee;
the vote was cast before `closes_at` (when the published results are given); its `cast_at` — the
service's word — lies within the life of the challenge the citizen signed into the ballot and
within `clock_tolerance` of the signer's own signingTime where the CMS has one (see
`cast_at_problem`); no IIN and no receipt appears twice. Then the counts and the digest (see
`tally`) are recomputed and, given the
published results, compared nominee by nominee. Any problem makes the audit fail. Pure: no AWS
or Chalice; the key is a port (a key file, or KMS, whose calls are I/O: `workers` open that many
records at once, ahead of the verification, which stays in order).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.signing_time import signing_time
from chalicelib.voting import challenge
from chalicelib.voting.ballot import parse_ballot
from chalicelib.voting.clock import iso_utc
from chalicelib.voting.contest import ContestError, parse_time
from chalicelib.voting.evidence import EvidenceError, EvidenceVote, SealedVote, opened, parse_sealed_line
from chalicelib.voting.ports import CommissionKey
from chalicelib.voting.rejection import Rejection, verifier_refusals
from chalicelib.voting.seal import OtherKey, SealError
from chalicelib.voting.tally import SortedSpool, counts, digest_line, digest_of, merged_lines

MAX_PROBLEMS_SHOWN = 50
# How far a signer's clock may be from the service's: hours, not minutes, because a computer whose
# time zone still says UTC+6 (Kazakhstan moved to UTC+5 in 2024) but shows the right local time
# signs an hour "early", and honest votes must not fail the audit for it.
CLOCK_TOLERANCE = timedelta(hours=2)


@dataclass
class AuditReport:
    lines: int = 0
    opened: int = 0
    verified: int = 0
    votes: Counter[str] = field(default_factory=Counter)
    digest: str = ""
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    compared: bool = False
    key_id: bytes = b""  # the commission key given
    other_keys: Counter[bytes] = field(default_factory=Counter)  # records sealed to other keys
    names: dict[str, str] = field(default_factory=dict)  # nominee id → name, from the published results

    @property
    def total(self) -> int:
        return sum(self.votes.values())

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_SHOWN:
            self.problems.append(text)

    def render(self) -> str:
        out = [f"commission key:     {self.key_id.hex()}",
               f"lines read:         {self.lines}",
               f"opened and bound:   {self.opened}",
               f"signatures valid:   {self.verified}",
               f"votes counted:      {self.total}",
               f"digest (SHA-256):   {self.digest}"]
        ranked = sorted(self.votes.items(), key=lambda i: (-i[1], i[0]))
        width = max((len(str(votes)) for _, votes in ranked), default=1)
        out += [f"  {votes:>{width}}  " + (f"{self.names[nominee]} ({nominee})" if nominee in self.names else nominee)
                for nominee, votes in ranked]
        out.append("compared with the published results: " + ("yes" if self.compared else "no (give --results)"))
        if self.ok:
            out.append("RESULT: OK — every signature verifies and the recount matches")
        else:
            out.append(f"RESULT: FAILED — {self.problem_count} problem(s)")
            for sealed_to, records in self.other_keys.most_common(3):
                out.append(f"  {records} record(s) are sealed to commission key {sealed_to.hex()}, not to the key "
                           f"given ({self.key_id.hex()}): audit with this contest's commission key")
            out += [f"  {text}" for text in self.problems]
            if self.problem_count > len(self.problems):
                out.append(f"  ... and {self.problem_count - len(self.problems)} more")
        return "\n".join(out)


def audit(lines: Iterable[str], verifier: SignatureVerifier, key: CommissionKey,
          published: dict[str, Any] | None = None, progress: Callable[[int], None] | None = None,
          workers: int = 1, clock_tolerance: timedelta = CLOCK_TOLERANCE) -> AuditReport:
    """Audit a sealed evidence file (its lines) with the commission's key; `published` is the
    results JSON to compare with. A key that cannot be used at all (`seal.KeyUnavailable`) stops it."""
    report = AuditReport(key_id=key.key_id)
    closes_at = published.get("closes_at") if isinstance(published, dict) else None
    contest_id = published.get("contest") if isinstance(published, dict) else None
    window = _Window(closes_at if isinstance(closes_at, str) else None, clock_tolerance)
    people: dict[str, int] = {}
    receipts: dict[str, int] = {}
    spool = SortedSpool()
    try:
        for number, record in enumerate(_opened(lines, key, workers), start=1):
            report.lines = number
            if progress is not None:
                progress(number)
            vote = _usable(number, record, report)
            if vote is not None:
                _check_vote(f"line {number} (receipt {vote.receipt})", number, vote, verifier, report, people,
                            receipts, spool, window, contest_id)
        spool.finish()
        report.digest = digest_of(merged_lines([spool]))
    finally:
        spool.discard()
    if published is not None:
        _compare(report, published)
    return report


@dataclass(frozen=True)
class _Opened:
    """One line, opened: its vote, or why not (nothing at all for an empty line)."""

    sealed: SealedVote | None = None
    vote: EvidenceVote | None = None
    error: Exception | None = None


def _open_line(line: str, key: CommissionKey) -> _Opened:
    if not line.strip():
        return _Opened()
    try:
        sealed = parse_sealed_line(line)
    except EvidenceError as error:
        return _Opened(error=error)
    try:
        return _Opened(sealed, opened(sealed, key))
    except SealError as error:
        return _Opened(sealed, error=error)


def _opened(lines: Iterable[str], key: CommissionKey, workers: int) -> Iterator[_Opened]:
    """Each line opened, in order; with `workers` > 1 that many are opened at once, ahead."""
    if workers <= 1:
        yield from (_open_line(line, key) for line in lines)
        return
    with ThreadPoolExecutor(workers) as pool:
        ahead: deque[Future[_Opened]] = deque()
        for line in lines:
            ahead.append(pool.submit(_open_line, line, key))
            if len(ahead) >= 4 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


def _usable(number: int, record: _Opened, report: AuditReport) -> EvidenceVote | None:
    where = f"line {number}" + (f" (receipt {record.sealed.receipt})" if record.sealed else "")
    if isinstance(record.error, OtherKey):
        report.other_keys[record.error.sealed_to] += 1
    if record.error is not None:
        kind = "not a sealed evidence record" if isinstance(record.error, EvidenceError) else "cannot open"
        report.problem(f"{where}: {kind} ({record.error})")
        return None
    if record.vote is None:
        report.problem(f"{where}: empty line")
        return None
    report.opened += 1
    return record.vote


@dataclass(frozen=True)
class _Window:
    """What the published results say of the window, and the signers' clocks' tolerance."""

    closes_at: str | None
    clock_tolerance: timedelta


def cast_at_problem(cast_at: datetime, challenge_token: str, signed_at: datetime | None,
                    tolerance: timedelta) -> str | None:
    """Why a vote's stored `cast_at` cannot be true, or None: it must fall within the life of the
    challenge in the signed ballot (the service refuses an expired one; with `cast_at < closes_at`,
    checked before, the challenge was issued inside the window), and the signer's signingTime (if
    any) must be within `tolerance` of it."""
    life = challenge.lifetime_of(challenge_token)
    if life is None:
        return "the signed ballot's challenge states no time"
    issued, expires = life
    if not issued <= cast_at < expires:
        return (f"cast at {iso_utc(cast_at)}, outside the life of the challenge it signed "
                f"({iso_utc(issued)} to {iso_utc(expires)})")
    if signed_at is not None and abs(signed_at - cast_at) > tolerance:
        return (f"signed at {iso_utc(signed_at)} by the signer's clock but cast at {iso_utc(cast_at)}: "
                f"more than {tolerance} apart")
    return None


def _check_vote(where: str, number: int, vote: EvidenceVote, verifier: SignatureVerifier, report: AuditReport,
                people: dict[str, int], receipts: dict[str, int], spool: SortedSpool,
                window: _Window, contest_id: object) -> None:
    try:
        cast_at = parse_time(vote.cast_at, "cast_at")
        with verifier_refusals():
            signed = verifier.verify(vote.cms, cast_at, vote.content)
        ballot = parse_ballot(signed.content)
    except ContestError:
        report.problem(f"{where}: cast_at is not a time")
        return
    except Rejection as rejection:
        report.problem(f"{where}: signature refused ({rejection.code}: {rejection.detail})")
        return
    report.verified += 1
    if ballot.contest != vote.contest or ballot.nominee != vote.nominee:
        report.problem(f"{where}: the line says {vote.contest}/{vote.nominee} but the signed ballot says "
                       f"{ballot.contest}/{ballot.nominee}")
        return
    if isinstance(contest_id, str) and vote.contest != contest_id:
        report.problem(f"{where}: a vote of another contest ({vote.contest})")
        return
    if window.closes_at is not None and not counts(vote.cast_at, window.closes_at):
        report.problem(f"{where}: cast at {vote.cast_at}, not before closes_at {window.closes_at}")
        return
    when = cast_at_problem(cast_at, ballot.challenge, signing_time(vote.cms), window.clock_tolerance)
    if when is not None:
        report.problem(f"{where}: {when}")
        return
    earlier = people.get(signed.iin)
    if earlier is not None:
        report.problem(f"{where}: the same person (IIN) already voted on line {earlier}")
        return
    people[signed.iin] = number
    if vote.receipt in receipts:
        report.problem(f"{where}: receipt repeated from line {receipts[vote.receipt]}")
        return
    receipts[vote.receipt] = number
    report.votes[vote.nominee] += 1
    spool.add(digest_line(vote.receipt, vote.nominee))


def _compare(report: AuditReport, published: dict[str, Any]) -> None:
    report.compared = True
    if published.get("digest") != report.digest:
        report.problem(f"digest differs: published {published.get('digest')}, recomputed {report.digest}")
    if published.get("total") != report.total:
        report.problem(f"total differs: published {published.get('total')}, recomputed {report.total}")
    stated: dict[str, int] = {}
    for nomination in published.get("nominations") or []:
        for nominee in nomination.get("nominees") or []:
            stated[str(nominee.get("id"))] = nominee.get("votes")
            if isinstance(nominee.get("name"), str):
                report.names[str(nominee.get("id"))] = nominee["name"]
    for nominee in sorted(set(stated) | set(report.votes)):
        if stated.get(nominee, 0) != report.votes.get(nominee, 0):
            report.problem(f"{nominee}: published {stated.get(nominee, 0)}, recomputed {report.votes.get(nominee, 0)}")
