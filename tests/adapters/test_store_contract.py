"""The storage ports' contract, the same cases on every store: in memory, DynamoDB under moto, and
dynalite over HTTP. One conditional write per voter; each contest step applied once."""

from datetime import timedelta

from chalicelib.voting.contest import parse_contest
from chalicelib.voting.records import ContestSummary, VoteRecord
from chalicelib.voting.signing_session import Outcome, SigningSession
from chalicelib.voting.tally import TallyResult
from tests.conftest import NOW, contest_file, stored_votes

CONTEST = "best-social-worker-2025"


def vote(voter: str = "v1", nominee: str = "hc-001", contest: str = "c",
         cast_at: str = "2026-03-10T09:00:00.000000Z") -> VoteRecord:
    return VoteRecord(contest=contest, voter=voter, receipt=f"R-{contest}-{voter}", nominee=nominee,
                      nomination="home-care", cast_at=cast_at, algorithm="RSA/SHA-256",
                      evidence=b"\x01sealed evidence bytes")


def a_result(total: int = 1) -> TallyResult:
    return TallyResult("2026-03-15T09:00:00.000000Z", "2026-03-15T09:02:00.000000Z", total,
                       {"hc-001": total, "hc-002": 0, "rh-001": 0}, {"home-care": total, "rehab": 0}, {}, "d" * 64)


def created(store, **times):
    contest = parse_contest(contest_file(**times))
    assert store.create_contest(contest, NOW)
    return store.get_contest(contest.id)


def test_first_vote_is_written(any_store):
    assert any_store.record_vote(vote()) is None
    assert [v.nominee for v in stored_votes(any_store, "c")] == ["hc-001"]


def test_a_stored_vote_reads_back_as_it_was_written(any_store):
    any_store.record_vote(vote())
    assert stored_votes(any_store, "c") == [vote()]


def test_second_vote_of_the_same_voter_returns_the_first(any_store):
    any_store.record_vote(vote())
    assert any_store.record_vote(vote(nominee="rh-001")).nominee == "hc-001"
    assert [v.nominee for v in stored_votes(any_store, "c")] == ["hc-001"]


def test_the_same_voter_votes_once_per_contest_not_once_ever(any_store):
    any_store.record_vote(vote(contest="a"))
    assert any_store.record_vote(vote(contest="b")) is None


def test_receipt_finds_the_vote(any_store):
    any_store.record_vote(vote())
    assert any_store.find_receipt("R-c-v1").nominee == "hc-001"
    assert any_store.find_receipt("R-c-v2") is None


def test_a_new_contest_is_scheduled_at_revision_one(any_store):
    stored = created(any_store)
    assert (stored.state, stored.revision, stored.result) == ("scheduled", 1, None)
    assert stored.contest == parse_contest(contest_file())


def test_a_contest_id_is_created_once(any_store):
    created(any_store)
    assert not any_store.create_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))), NOW)
    assert any_store.get_contest(CONTEST).contest.closes_at == NOW + timedelta(days=5)


def test_unknown_contest_is_none(any_store):
    assert any_store.get_contest("nope") is None


def test_contests_are_listed_by_opening_time(any_store):
    later = parse_contest(contest_file("later", opens=NOW + timedelta(days=1), closes=NOW + timedelta(days=2)))
    any_store.create_contest(later, NOW)
    created(any_store)
    assert [s.id for s in any_store.list_summaries()] == [CONTEST, "later"]


def test_a_summary_tells_title_window_and_state_without_the_nominations(any_store):
    stored = created(any_store)
    any_store.close_contest(stored.contest.with_closes_at(NOW), stored.revision, NOW)
    [summary] = any_store.list_summaries()
    assert summary == ContestSummary(CONTEST, stored.contest.title, stored.contest.opens_at, NOW, "closed")


def test_summaries_follow_every_change_of_the_contest(any_store):
    stored = created(any_store)
    renamed = contest_file(closes=NOW + timedelta(days=9))
    renamed["title"]["en"] = "The best social worker"
    any_store.update_contest(parse_contest(renamed), stored.revision, NOW)
    [summary] = any_store.list_summaries()
    assert (summary.title["en"], summary.closes_at, summary.state) == ("The best social worker",
                                                                       NOW + timedelta(days=9), "scheduled")


def test_an_update_at_the_stored_revision_is_applied(any_store):
    stored = created(any_store)
    longer = parse_contest(contest_file(closes=NOW + timedelta(days=9)))
    assert any_store.update_contest(longer, stored.revision, NOW)
    after = any_store.get_contest(CONTEST)
    assert (after.revision, after.contest.closes_at) == (2, NOW + timedelta(days=9))


def test_an_update_at_a_stale_revision_changes_nothing(any_store):
    created(any_store)
    assert not any_store.update_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))), 7, NOW)
    assert any_store.get_contest(CONTEST).revision == 1


def test_contest_closes_once_with_the_file_it_is_given(any_store):
    stored = created(any_store)
    early = stored.contest.with_closes_at(NOW)
    assert any_store.close_contest(early, stored.revision, NOW)
    closed = any_store.get_contest(CONTEST)
    assert (closed.state, closed.revision, closed.contest.closes_at) == ("closed", 2, NOW)
    assert not any_store.close_contest(early.with_closes_at(NOW + timedelta(hours=1)), closed.revision, NOW)
    assert any_store.get_contest(CONTEST).contest.closes_at == NOW


def test_an_early_close_keeps_the_end_it_had_been_planned_for(any_store):
    stored = created(any_store)
    assert any_store.get_contest(CONTEST).planned_closes_at is None
    assert any_store.close_contest(stored.contest.with_closes_at(NOW), stored.revision, NOW, stored.contest.closes_at)
    closed = any_store.get_contest(CONTEST)
    assert (closed.planned_closes_at, closed.closed_early) == (stored.contest.closes_at, True)
    assert [summary.closed_early for summary in any_store.list_summaries()] == [True]  # the list says so too


def test_a_close_at_a_stale_revision_changes_nothing(any_store):
    stored = created(any_store)
    assert not any_store.close_contest(stored.contest, stored.revision + 1, NOW)
    assert any_store.get_contest(CONTEST).state == "scheduled"


def test_result_is_stored_once_with_the_tallied_state(any_store):
    stored = created(any_store)
    any_store.close_contest(stored.contest, stored.revision, NOW)
    assert any_store.store_result(CONTEST, a_result(1), NOW)
    assert not any_store.store_result(CONTEST, a_result(2), NOW)
    after = any_store.get_contest(CONTEST)
    assert (after.state, after.result.total, after.revision) == ("tallied", 1, 3)


def test_result_of_a_contest_that_is_not_closed_is_refused(any_store):
    created(any_store)
    assert not any_store.store_result(CONTEST, a_result(), NOW)
    assert any_store.get_contest(CONTEST).result is None


def test_every_vote_is_read_once_across_tally_segments(any_store):
    for n in range(40):
        any_store.record_vote(vote(voter=f"v{n}"))
    any_store.record_vote(vote(voter="elsewhere", contest="other"))
    seen = [line.receipt for segment in range(4) for line in any_store.tally_segment("c", segment, 4)]
    assert sorted(seen) == sorted(f"R-c-v{n}" for n in range(40))


def test_evidence_scan_returns_only_votes_cast_before_closing(any_store):
    any_store.record_vote(vote(voter="early"))
    any_store.record_vote(vote(voter="late", cast_at="2026-03-15T09:00:00.000000Z"))
    assert [v.voter for v in any_store.counted_votes("c", "2026-03-15T09:00:00.000000Z")] == ["early"]


# Signing sessions (eGov mobile)


def a_session(session_id: str = "S" * 22, **fields) -> SigningSession:
    values = {"id": session_id, "token": "T" * 43, "contest": CONTEST, "nominee": "hc-001",
              "ballot": b'{"v": 1, "contest": "c", "nominee": "hc-001", "challenge": "x"}',
              "created_at": NOW, "expires_at": NOW + timedelta(minutes=10), **fields}
    return SigningSession(**values)


ACCEPTED_OUTCOME = Outcome("accepted", receipt="R-1", cast_at="2026-03-10T09:01:00.000000Z")


def test_a_session_reads_back_as_it_was_written(any_store):
    assert any_store.create_session(a_session())
    assert any_store.get_session("S" * 22) == a_session()


def test_a_session_id_is_created_once(any_store):
    any_store.create_session(a_session())
    assert not any_store.create_session(a_session(nominee="rh-001"))
    assert any_store.get_session("S" * 22).nominee == "hc-001"


def test_an_unknown_session_is_none(any_store):
    assert any_store.get_session("U" * 22) is None


def test_a_session_is_claimed_by_one_cms_only(any_store):
    any_store.create_session(a_session())
    assert any_store.claim_session("S" * 22, b"first")
    assert any_store.claim_session("S" * 22, b"first")  # the same bytes again: a retry
    assert not any_store.claim_session("S" * 22, b"other")
    assert any_store.get_session("S" * 22).claim == b"first"


def test_a_session_is_settled_once_with_its_outcome(any_store):
    any_store.create_session(a_session())
    assert any_store.settle_session("S" * 22, b"first", ACCEPTED_OUTCOME)
    assert not any_store.settle_session("S" * 22, b"first", Outcome("rejected", error="already_voted"))
    settled = any_store.get_session("S" * 22)
    assert (settled.status, settled.claim, settled.receipt, settled.cast_at, settled.error) == \
        ("accepted", b"first", "R-1", "2026-03-10T09:01:00.000000Z", None)


def test_a_rejection_is_settled_with_its_code(any_store):
    any_store.create_session(a_session())
    assert any_store.settle_session("S" * 22, b"first", Outcome("rejected", error="not_an_individual"))
    assert (any_store.get_session("S" * 22).status, any_store.get_session("S" * 22).error) == \
        ("rejected", "not_an_individual")


def test_a_session_claimed_by_one_cms_cannot_be_settled_by_another(any_store):
    any_store.create_session(a_session())
    any_store.claim_session("S" * 22, b"first")
    assert not any_store.settle_session("S" * 22, b"other", ACCEPTED_OUTCOME)
    assert any_store.settle_session("S" * 22, b"first", ACCEPTED_OUTCOME)


def test_a_settled_session_cannot_be_claimed(any_store):
    any_store.create_session(a_session())
    any_store.settle_session("S" * 22, b"first", ACCEPTED_OUTCOME)
    assert not any_store.claim_session("S" * 22, b"first")


def test_an_unknown_session_is_neither_claimed_nor_settled(any_store):
    assert not any_store.claim_session("U" * 22, b"first")
    assert not any_store.settle_session("U" * 22, b"first", ACCEPTED_OUTCOME)
    assert any_store.get_session("U" * 22) is None


# Single-use challenges (admin sign-in)


def test_a_challenge_is_spent_once(any_store):
    expires = NOW + timedelta(minutes=3)
    assert any_store.spend_challenge("admin-login:n1", expires)
    assert not any_store.spend_challenge("admin-login:n1", expires)
    assert not any_store.spend_challenge("admin-login:n1", expires + timedelta(minutes=1))


def test_spending_one_challenge_leaves_the_others_unspent(any_store):
    expires = NOW + timedelta(minutes=3)
    assert any_store.spend_challenge("admin-login:n1", expires)
    assert any_store.spend_challenge("admin-login:n2", expires)

