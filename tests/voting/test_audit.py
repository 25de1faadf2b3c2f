"""The offline audit of an evidence file: re-verify every CMS, one vote per IIN, recount. Pure."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from chalicelib.voting.audit import audit
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.evidence import EvidenceError, EvidenceVote, evidence_line, parse_evidence_line
from tests.conftest import NOW

CONTEST = "best-social-worker-2025"
CAST_AT = "2026-03-10T09:00:00.000000Z"
CLOSES_AT = "2026-03-15T09:00:00.000000Z"
DISTRIBUTION = [("900101300001", "hc-001"), ("900101300002", "hc-001"), ("900101300003", "hc-002"),
                ("900101300004", "rh-001"), ("900101300005", "hc-001")]


def vote_line(pki, iin: str, nominee: str, receipt: str, cast_at: str = CAST_AT) -> str:
    cms = pki.sign(ballot_bytes(CONTEST, nominee, "c1.0.x.y"), pki.voter(iin))
    return evidence_line(EvidenceVote(receipt, CONTEST, nominee, cast_at, cms))


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
    report = audit(evidence, pki.verifier(), published_for(evidence))
    assert report.ok, report.render()
    assert (report.verified, report.total, dict(report.votes)) == (5, 5, {"hc-001": 3, "hc-002": 1, "rh-001": 1})
    assert report.digest == published_for(evidence)["digest"]
    assert "RESULT: OK" in report.render()


def test_line_whose_nominee_was_changed_is_caught(pki, evidence):
    record = json.loads(evidence[0])
    record["nominee"] = "rh-001"
    tampered = [json.dumps(record) + "\n", *evidence[1:]]
    report = audit(tampered, pki.verifier(), published_for(evidence))
    assert not report.ok
    assert any(p.startswith("line 1: the line says") for p in report.problems)


def test_line_whose_signature_bytes_were_changed_is_caught(pki, evidence):
    record = json.loads(evidence[2])
    cms = bytearray(base64.b64decode(record["cms"]))
    cms[-5] ^= 0x01  # inside the signature value
    record["cms"] = base64.b64encode(bytes(cms)).decode()
    report = audit([*evidence[:2], json.dumps(record) + "\n", *evidence[3:]], pki.verifier())
    assert not report.ok and report.problems[0].startswith("line 3: signature refused")


def test_the_same_person_voting_twice_is_caught_even_with_another_key(pki, evidence):
    again = pki.sign(ballot_bytes(CONTEST, "rh-001", "c1.0.x.y"), pki.voter("900101300001", key_kind="ec256"))
    duplicate = evidence_line(EvidenceVote("RCPT-9999", CONTEST, "rh-001", CAST_AT, again))
    report = audit([*evidence, duplicate], pki.verifier())
    assert not report.ok
    assert report.problems == ["line 6: the same person (IIN) already voted on line 1"]
    assert "900101300001" not in report.render()


def test_published_counts_that_differ_from_the_recount_fail(pki, evidence):
    published = published_for(evidence)
    published["nominations"][0]["nominees"][0]["votes"] += 1
    published["total"] += 1
    report = audit(evidence, pki.verifier(), published)
    assert not report.ok
    assert "hc-001: published 4, recomputed 3" in report.problems


def test_a_dropped_vote_changes_the_digest(pki, evidence):
    report = audit(evidence[1:], pki.verifier(), published_for(evidence))
    assert any(p.startswith("digest differs") for p in report.problems)


def test_vote_cast_at_or_after_closing_is_not_evidence_of_the_result(pki, evidence):
    late = vote_line(pki, "900101300077", "hc-002", "RCPT-7777", cast_at=CLOSES_AT)
    report = audit([*evidence, late], pki.verifier(), published_for(evidence))
    assert "line 6: cast at 2026-03-15T09:00:00.000000Z, not before closes_at 2026-03-15T09:00:00.000000Z" in \
        report.problems


def test_lines_that_are_not_evidence_are_problems_not_crashes(pki, evidence):
    report = audit(["not json\n", "{}\n", "\n", *evidence], pki.verifier())
    assert report.problem_count == 3 and report.total == 5


def test_progress_is_reported_per_line(pki, evidence):
    seen: list[int] = []
    audit(evidence, pki.verifier(), progress=seen.append)
    assert seen == [1, 2, 3, 4, 5]


def test_evidence_line_round_trips_with_detached_content():
    vote = EvidenceVote("R", CONTEST, "hc-001", CAST_AT, b"\x30\x00", b"ballot")
    assert parse_evidence_line(evidence_line(vote)) == vote


@pytest.mark.parametrize("line", ["[]", '{"receipt": "R"}', '{"receipt":"R","contest":"c","nominee":"n",'
                                  '"cast_at":"t","cms":"***"}', "nope"])
def test_malformed_evidence_lines_are_refused(line):
    with pytest.raises(EvidenceError):
        parse_evidence_line(line)


def test_audit_uses_each_votes_cast_at_as_the_verification_time(pki):
    line = vote_line(pki, "900101300010", "hc-001", "RCPT-1", cast_at="2020-01-01T00:00:00.000000Z")
    report = audit([line], pki.verifier())
    assert report.problems and "certificate_not_yet_valid" in report.problems[0]
    assert NOW.year == 2026
