"""The DynamoDB adapter under moto: one conditional write per voter, the contest freeze."""

from datetime import timedelta

import pytest

from chalicelib.contest import ContestError, parse_contest
from chalicelib.storage import VoteRecord
from tests.conftest import NOW, contest_file


def vote(voter: str = "v1", nominee: str = "hc-001", contest: str = "c") -> VoteRecord:
    return VoteRecord(contest=contest, voter=voter, receipt=f"R-{contest}-{voter}", nominee=nominee,
                      nomination="home-care", cast_at="2026-03-10T09:00:00.000000Z", certificate_serial="01",
                      certificate_issuer="CN=X", algorithm="RSA/SHA-256", cms=b"\x30\x00")


def test_first_vote_is_written(dynamodb):
    assert dynamodb.record_vote(vote()) is None
    assert dynamodb.get_vote("c", "v1").nominee == "hc-001"


def test_second_vote_of_the_same_voter_returns_the_first(dynamodb):
    dynamodb.record_vote(vote())
    assert dynamodb.record_vote(vote(nominee="rh-001")).nominee == "hc-001"
    assert dynamodb.get_vote("c", "v1").nominee == "hc-001"


def test_the_same_voter_votes_once_per_contest_not_once_ever(dynamodb):
    dynamodb.record_vote(vote(contest="a"))
    assert dynamodb.record_vote(vote(contest="b")) is None


def test_receipt_finds_the_vote(dynamodb):
    dynamodb.record_vote(vote())
    assert dynamodb.find_receipt("R-c-v1").nominee == "hc-001"
    assert dynamodb.find_receipt("R-c-v2") is None


def test_partition_key_is_contest_and_voter(dynamodb):
    dynamodb.record_vote(vote())
    [item] = dynamodb.VoteItem.scan()
    assert item.pk == "c#v1"


def test_contest_is_created_then_unchanged_then_updated(dynamodb):
    contest = parse_contest(contest_file(opens=NOW + timedelta(days=1)))
    assert dynamodb.save_contest(contest, NOW)[0] == "created"
    assert dynamodb.save_contest(contest, NOW)[0] == "unchanged"
    later = parse_contest(contest_file(opens=NOW + timedelta(days=2)))
    assert dynamodb.save_contest(later, NOW)[0] == "updated"
    assert dynamodb.get_contest(contest.id).contest.opens_at == later.opens_at


def test_frozen_contest_refuses_a_change_and_keeps_what_it_had(dynamodb):
    dynamodb.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    changed = contest_file()
    changed["nominations"][0]["nominees"].pop()
    with pytest.raises(ContestError):
        dynamodb.save_contest(parse_contest(changed), NOW)
    assert len(dynamodb.get_contest("best-social-worker-2025").contest.nominations[0].nominees) == 2


def test_contest_whose_window_already_started_can_be_created(dynamodb):
    assert dynamodb.save_contest(parse_contest(contest_file(opens=NOW - timedelta(days=2))), NOW)[0] == "created"


def a_result(total: int = 1):
    from chalicelib.tally import TallyResult

    return TallyResult("2026-03-15T09:00:00.000000Z", "2026-03-15T09:02:00.000000Z", total,
                       {"hc-001": total, "hc-002": 0, "rh-001": 0}, {"home-care": total, "rehab": 0}, {}, "d" * 64)


def test_contest_closes_once_and_then_stays_closed(dynamodb):
    dynamodb.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    closed = dynamodb.mark_closed("best-social-worker-2025", NOW, NOW)
    assert (closed.state, closed.contest.closes_at) == ("closed", NOW)
    again = dynamodb.mark_closed("best-social-worker-2025", NOW + timedelta(hours=1), NOW + timedelta(hours=1))
    assert (again.revision, again.contest.closes_at) == (closed.revision, NOW)


def test_result_is_stored_once_with_the_tallied_state(dynamodb):
    dynamodb.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    dynamodb.mark_closed("best-social-worker-2025", NOW)
    first = dynamodb.store_result("best-social-worker-2025", a_result(1), NOW)
    second = dynamodb.store_result("best-social-worker-2025", a_result(2), NOW)
    assert (first.state, first.result.total) == ("tallied", 1)
    assert (second.result, second.revision) == (first.result, first.revision)


def test_result_of_a_contest_that_is_not_closed_is_refused(dynamodb):
    from chalicelib.storage import ConcurrentUpdate

    dynamodb.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    with pytest.raises(ConcurrentUpdate):
        dynamodb.store_result("best-social-worker-2025", a_result(), NOW)
    assert dynamodb.get_contest("best-social-worker-2025").result is None


def test_tallied_contest_refuses_a_new_contest_file(dynamodb):
    dynamodb.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    dynamodb.mark_closed("best-social-worker-2025", NOW)
    dynamodb.store_result("best-social-worker-2025", a_result(), NOW)
    with pytest.raises(ContestError):
        dynamodb.save_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))), NOW)


def test_evidence_scan_returns_only_votes_cast_before_closing(dynamodb):
    dynamodb.record_vote(vote(voter="early"))
    late = vote(voter="late")
    dynamodb.record_vote(VoteRecord(**{**late.__dict__, "cast_at": "2026-03-15T09:00:00.000000Z"}))
    assert [v.voter for v in dynamodb.counted_votes("c", "2026-03-15T09:00:00.000000Z")] == ["early"]
