"""The offline audit of a sealed evidence file: open every record with the commission's key, check
its binding, re-verify every CMS, one vote per IIN, recount. Pure."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import datetime, timedelta

import pytest

from chalicelib.voting.audit import audit
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.contest import parse_time
from chalicelib.voting.evidence import (
    EvidenceError,
    EvidenceVote,
    SealedVote,
    evidence_line,
    parse_evidence_line,
    parse_sealed_line,
    sealed_line,
)
from chalicelib.voting.seal import CannotUnwrap, KeyUnavailable
from tests.conftest import NOW, a_challenge, commission_key, commission_sealer

CONTEST = "best-social-worker-2025"
CAST_AT = "2026-03-10T09:00:00.000000Z"
CLOSES_AT = "2026-03-15T09:00:00.000000Z"
DISTRIBUTION = [("900101300001", "hc-001"), ("900101300002", "hc-001"), ("900101300003", "hc-002"),
                ("900101300004", "rh-001"), ("900101300005", "hc-001")]


def signed_ballot(pki, iin: str, nominee: str, cast_at: str = CAST_AT, issued_before: timedelta = timedelta(minutes=1),
                  signed_at: datetime | None = None, **options: object) -> bytes:
    """A ballot signed half a minute before `cast_at` for a challenge issued `issued_before` it."""
    at = parse_time(cast_at, "cast_at")
    ballot = ballot_bytes(CONTEST, nominee, a_challenge(CONTEST, at - issued_before))
    return pki.sign(ballot, pki.voter(iin, **options), signing_time=signed_at or at - timedelta(seconds=30))


def vote_line(pki, iin: str, nominee: str, receipt: str, cast_at: str = CAST_AT, sealed_to: str = "commission",
              cms: bytes | None = None, **options: object) -> str:
    """One sealed line, as `manage.py evidence` writes it."""
    cms = cms or signed_ballot(pki, iin, nominee, cast_at, **options)
    vote = SealedVote(receipt, CONTEST, f"voter-of-{receipt}", nominee, cast_at, b"")
    return sealed_line(dataclasses.replace(vote, sealed=commission_sealer(sealed_to).seal(vote.binding(), cms)))


def run(lines, pki, published=None, **options):
    return audit(lines, pki.verifier(), commission_key(), published, **options)


@pytest.fixture(scope="module")
def evidence(pki) -> list[str]:
    return [vote_line(pki, iin, nominee, f"RCPT-{i:04d}") for i, (iin, nominee) in enumerate(DISTRIBUTION)]


def published_for(lines: list[str]) -> dict:
    records = [json.loads(line) for line in lines]
    digest = hashlib.sha256("".join(sorted(f"{r['receipt']},{r['nominee']}\n" for r in records)).encode()).hexdigest()
    votes = {n: sum(r["nominee"] == n for r in records) for n in ("hc-001", "hc-002", "rh-001")}
    return {"contest": CONTEST, "status": "final", "closes_at": CLOSES_AT, "total": len(records), "digest": digest,
            "nominations": [{"id": "home-care", "nominees": [{"id": "hc-001", "votes": votes["hc-001"]},
                                                            {"id": "hc-002", "votes": votes["hc-002"]}]},
                            {"id": "rehab", "nominees": [{"id": "rh-001", "votes": votes["rh-001"]}]}]}


def test_honest_evidence_passes_and_recounts_the_published_result(pki, evidence):
    report = run(evidence, pki, published_for(evidence))
    assert report.ok, report.render()
    assert (report.opened, report.verified, report.total) == (5, 5, 5)
    assert dict(report.votes) == {"hc-001": 3, "hc-002": 1, "rh-001": 1}
    assert report.digest == published_for(evidence)["digest"]
    assert "RESULT: OK" in report.render()


def test_the_sealed_file_names_nobody(pki, evidence):
    assert not any(f"90010130000{i}" in line for line in evidence for i in range(1, 6))
    assert "ТЕСТОВ" not in "".join(evidence)


def test_sealed_evidence_moved_to_another_vote_fails_naming_the_receipt(pki, evidence):
    first, second = json.loads(evidence[0]), json.loads(evidence[1])
    first["sealed"], second["sealed"] = second["sealed"], first["sealed"]  # both nominees hc-001
    swapped = [json.dumps(first) + "\n", json.dumps(second) + "\n", *evidence[2:]]
    report = run(swapped, pki, published_for(evidence))
    assert not report.ok
    assert report.problems[:2] == [
        f"line {n} (receipt RCPT-000{n - 1}): cannot open (the sealed evidence does not belong to this vote "
        "(contest, voter, receipt, nominee or cast_at differ) or was altered)" for n in (1, 2)]


def test_a_record_whose_nominee_was_changed_no_longer_opens(pki, evidence):
    record = json.loads(evidence[0])
    record["nominee"] = "rh-001"
    report = run([json.dumps(record) + "\n", *evidence[1:]], pki, published_for(evidence))
    assert not report.ok
    assert report.problems[0].startswith("line 1 (receipt RCPT-0000): cannot open (the sealed evidence does not belong")


def test_evidence_sealed_to_another_commission_key_fails_with_both_keys_named(pki, evidence):
    other = [vote_line(pki, iin, nominee, f"RCPT-{i:04d}", sealed_to="other")
             for i, (iin, nominee) in enumerate(DISTRIBUTION)]
    report = run(other, pki, published_for(evidence))
    assert not report.ok and report.opened == 0
    given, sealed_to = commission_key().key_id.hex(), commission_key("other").key_id.hex()
    assert f"5 record(s) are sealed to commission key {sealed_to}, not to the key given ({given})" in report.render()


def test_a_key_that_cannot_be_used_stops_the_audit(pki, evidence):
    class Refusing:
        key_id = commission_key().key_id

        def unwrap(self, wrapped: bytes) -> bytes:
            raise KeyUnavailable("KMS Decrypt refused: AccessDeniedException")

    with pytest.raises(KeyUnavailable, match="AccessDenied"):
        audit(evidence, pki.verifier(), Refusing())


def test_a_key_that_does_not_unwrap_is_a_problem_of_that_record(pki, evidence):
    class Wrong:
        key_id = commission_key().key_id

        def unwrap(self, wrapped: bytes) -> bytes:
            raise CannotUnwrap("the data key does not unwrap")

    report = audit(evidence[:1], pki.verifier(), Wrong())
    assert report.problems == ["line 1 (receipt RCPT-0000): cannot open (the data key does not unwrap)"]


def test_a_signed_ballot_for_another_nominee_than_its_record_is_caught(pki):
    cms = signed_ballot(pki, "900101300031", "hc-002")
    vote = SealedVote("RCPT-0031", CONTEST, "v31", "hc-001", CAST_AT, b"")
    line = sealed_line(dataclasses.replace(vote, sealed=commission_sealer().seal(vote.binding(), cms)))
    report = run([line], pki)
    assert report.problems == ["line 1 (receipt RCPT-0031): the line says best-social-worker-2025/hc-001 but the "
                               "signed ballot says best-social-worker-2025/hc-002"]


def test_a_signature_whose_bytes_were_changed_before_sealing_is_caught(pki):
    cms = bytearray(signed_ballot(pki, "900101300032", "hc-001"))
    cms[-5] ^= 0x01  # inside the signature value
    vote = SealedVote("RCPT-0032", CONTEST, "v32", "hc-001", CAST_AT, b"")
    line = sealed_line(dataclasses.replace(vote, sealed=commission_sealer().seal(vote.binding(), bytes(cms))))
    report = run([line], pki)
    assert not report.ok and report.problems[0].startswith("line 1 (receipt RCPT-0032): signature refused")


def test_the_same_person_voting_twice_is_caught_even_with_another_key(pki, evidence):
    duplicate = vote_line(pki, "900101300001", "rh-001", "RCPT-9999", key_kind="ec256")
    report = run([*evidence, duplicate], pki)
    assert not report.ok
    assert report.problems == ["line 6 (receipt RCPT-9999): the same person (IIN) already voted on line 1"]
    assert "900101300001" not in report.render()


def test_published_counts_that_differ_from_the_recount_fail(pki, evidence):
    published = published_for(evidence)
    published["nominations"][0]["nominees"][0]["votes"] += 1
    published["total"] += 1
    report = run(evidence, pki, published)
    assert not report.ok
    assert "hc-001: published 4, recomputed 3" in report.problems


def test_a_dropped_vote_changes_the_digest(pki, evidence):
    report = run(evidence[1:], pki, published_for(evidence))
    assert any(p.startswith("digest differs") for p in report.problems)


def test_vote_cast_at_or_after_closing_is_not_evidence_of_the_result(pki, evidence):
    late = vote_line(pki, "900101300077", "hc-002", "RCPT-7777", cast_at=CLOSES_AT)
    report = run([*evidence, late], pki, published_for(evidence))
    assert ("line 6 (receipt RCPT-7777): cast at 2026-03-15T09:00:00.000000Z, not before closes_at "
            "2026-03-15T09:00:00.000000Z") in report.problems


def test_lines_that_are_not_evidence_are_problems_not_crashes(pki, evidence):
    report = run(["not json\n", "{}\n", "\n", *evidence], pki)
    assert report.problem_count == 3 and report.total == 5


def test_an_opened_file_is_refused_with_what_to_audit_instead(pki):
    opened = evidence_line(EvidenceVote("R", CONTEST, "hc-001", CAST_AT, b"\x30\x00"))
    report = run([opened], pki)
    assert "audit the sealed file" in report.problems[0]


def test_progress_is_reported_per_line(pki, evidence):
    seen: list[int] = []
    run(evidence, pki, progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]


def test_records_opened_ahead_by_workers_are_checked_in_file_order(pki, evidence):
    report = run([*evidence, evidence[0]], pki, workers=4)
    assert report.problems == ["line 6 (receipt RCPT-0000): the same person (IIN) already voted on line 1"]
    assert report.total == 5


def test_evidence_line_round_trips_with_detached_content():
    vote = EvidenceVote("R", CONTEST, "hc-001", CAST_AT, b"\x30\x00", b"ballot")
    assert parse_evidence_line(evidence_line(vote)) == vote


def test_sealed_line_round_trips():
    vote = SealedVote("R", CONTEST, "ab" * 32, "hc-001", CAST_AT, b"\x01sealed")
    assert parse_sealed_line(sealed_line(vote)) == vote


@pytest.mark.parametrize("line", ["[]", '{"receipt": "R"}', '{"receipt":"R","contest":"c","nominee":"n",'
                                  '"cast_at":"t","cms":"***"}', "nope"])
def test_malformed_evidence_lines_are_refused(line):
    with pytest.raises(EvidenceError):
        parse_evidence_line(line)


@pytest.mark.parametrize("line", ['{"receipt":"R","contest":"c","voter":"v","nominee":"n","cast_at":"t"}',
                                  '{"receipt":"R","contest":"c","voter":"v","nominee":"n","cast_at":"t",'
                                  '"sealed":"***"}',
                                  '{"receipt":"R","contest":"c","voter":"v","nominee":"n","cast_at":"t",'
                                  '"sealed":"AA==","cms":"AA=="}'])
def test_malformed_sealed_lines_are_refused(line):
    with pytest.raises(EvidenceError):
        parse_sealed_line(line)


def test_audit_uses_each_votes_cast_at_as_the_verification_time(pki):
    line = vote_line(pki, "900101300010", "hc-001", "RCPT-1", cast_at="2020-01-01T00:00:00.000000Z")
    report = run([line], pki)
    assert report.problems and "certificate_not_yet_valid" in report.problems[0]
    assert NOW.year == 2026


# --- the time a vote was cast: the service's word, checked against what the citizen signed ---

def test_a_cast_at_moved_before_its_challenge_was_issued_is_caught(pki, evidence):
    cms = signed_ballot(pki, "900101300041", "hc-001", cast_at="2026-03-15T08:55:00.000000Z")
    backdated = vote_line(pki, "900101300041", "hc-001", "RCPT-0041", cast_at="2026-03-15T08:40:00.000000Z", cms=cms)
    report = run([*evidence, backdated], pki)
    assert report.problems == ["line 6 (receipt RCPT-0041): cast at 2026-03-15T08:40:00.000000Z, outside the life "
                               "of the challenge it signed (2026-03-15T08:53:59.000000Z to "
                               "2026-03-15T09:04:00.000000Z)"]


def test_a_late_vote_stored_as_cast_before_closing_is_caught_by_its_challenge(pki, evidence):
    # Signed 20 minutes after closing for a challenge issued then; stored with a cast_at one minute before closing.
    cms = signed_ballot(pki, "900101300042", "hc-002", cast_at="2026-03-15T09:20:00.000000Z")
    late = vote_line(pki, "900101300042", "hc-002", "RCPT-0042", cast_at="2026-03-15T08:59:00.000000Z", cms=cms)
    report = run([*evidence, late], pki, published_for([*evidence, late]))
    assert [p for p in report.problems if "RCPT-0042" in p] == [
        "line 6 (receipt RCPT-0042): cast at 2026-03-15T08:59:00.000000Z, outside the life of the challenge it "
        "signed (2026-03-15T09:18:59.000000Z to 2026-03-15T09:29:00.000000Z)"]


def test_a_signing_time_far_from_cast_at_is_caught(pki):
    cms = signed_ballot(pki, "900101300044", "hc-001", signed_at=NOW + timedelta(days=1))
    report = run([vote_line(pki, "900101300044", "hc-001", "RCPT-0044", cms=cms)], pki)
    assert report.problems == ["line 1 (receipt RCPT-0044): signed at 2026-03-11T09:00:00.000000Z by the signer's "
                               "clock but cast at 2026-03-10T09:00:00.000000Z: more than 2:00:00 apart"]


def test_a_signers_clock_an_hour_off_is_not_a_problem(pki):
    cms = signed_ballot(pki, "900101300045", "hc-001", signed_at=NOW - timedelta(hours=1))
    assert run([vote_line(pki, "900101300045", "hc-001", "RCPT-0045", cms=cms)], pki).ok


def test_a_cms_without_a_signing_time_is_judged_by_its_challenge_alone(pki, monkeypatch):
    from chalicelib.voting import audit as audit_module

    monkeypatch.setattr(audit_module, "signing_time", lambda cms: None)
    cms = signed_ballot(pki, "900101300046", "hc-001", signed_at=NOW + timedelta(days=1))
    assert run([vote_line(pki, "900101300046", "hc-001", "RCPT-0046", cms=cms)], pki).ok


def test_a_ballot_whose_challenge_states_no_time_is_caught(pki):
    cms = pki.sign(ballot_bytes(CONTEST, "hc-001", "not-a-challenge"), pki.voter("900101300047"), signing_time=NOW)
    report = run([vote_line(pki, "900101300047", "hc-001", "RCPT-0047", cms=cms)], pki)
    assert report.problems == ["line 1 (receipt RCPT-0047): the signed ballot's challenge states no time"]
