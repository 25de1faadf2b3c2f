"""The commission's rules for a contest file, on the store in memory: create, unchanged, update,
and the freeze from just before voting opens."""

from datetime import timedelta

import pytest

from chalicelib.voting.closing import ClosingPolicy
from chalicelib.voting.commission import Commission
from chalicelib.voting.contest import ContestError, parse_contest
from chalicelib.voting.records import ConcurrentUpdate
from tests.conftest import NOW, Clock, contest_file

CONTEST = "best-social-worker-2025"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def commission(memory_store, clock):
    return Commission(memory_store, clock, ClosingPolicy())


def test_contest_is_created_then_unchanged_then_updated(commission):
    contest = parse_contest(contest_file(opens=NOW + timedelta(days=1)))
    assert commission.save_contest(contest)[0] == "created"
    assert commission.save_contest(contest)[0] == "unchanged"
    later = parse_contest(contest_file(opens=NOW + timedelta(days=2)))
    outcome, stored = commission.save_contest(later)
    assert (outcome, stored.revision, stored.contest.opens_at) == ("updated", 2, NOW + timedelta(days=2))
    assert commission.store.get_contest(CONTEST).contest.opens_at == later.opens_at


def test_contest_whose_window_already_started_can_be_created(commission):
    assert commission.save_contest(parse_contest(contest_file(opens=NOW - timedelta(days=2))))[0] == "created"


def test_frozen_contest_refuses_a_change_and_keeps_what_it_had(commission):
    commission.save_contest(parse_contest(contest_file()))
    changed = contest_file()
    changed["nominations"][0]["nominees"].pop()
    with pytest.raises(ContestError, match="only closes_at may change"):
        commission.save_contest(parse_contest(changed))
    assert len(commission.store.get_contest(CONTEST).contest.nominations[0].nominees) == 2


def test_the_ballot_paper_freezes_a_cached_copys_age_before_opening(commission):
    # A vote container's copy of the contest may already say "open" then: a nominee removed in
    # that moment could get votes the tally cannot count.
    opens = NOW + commission.closer.policy.notice - timedelta(seconds=1)
    commission.save_contest(parse_contest(contest_file(opens=opens)))
    changed = contest_file(opens=opens)
    changed["nominations"][0]["nominees"].pop()
    with pytest.raises(ContestError, match="voting opens within"):
        commission.save_contest(parse_contest(changed))
    assert len(commission.store.get_contest(CONTEST).contest.nominations[0].nominees) == 2


def test_an_open_contest_may_end_later_but_never_in_the_past(commission):
    commission.save_contest(parse_contest(contest_file()))
    assert commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))))[0] == "updated"
    with pytest.raises(ContestError, match="into the past"):
        commission.save_contest(parse_contest(contest_file(closes=NOW - timedelta(minutes=1))))


def test_in_the_grace_after_closing_a_later_closes_at_cannot_reopen_voting(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.now = NOW + timedelta(days=5, seconds=30)  # closes_at has passed; the closer has not run yet
    with pytest.raises(ContestError, match="the window is final"):
        commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))))
    stored = commission.store.get_contest(CONTEST)
    assert (stored.state, stored.contest.closes_at, stored.status(clock.now)) == (
        "scheduled", NOW + timedelta(days=5), "closed")


def test_at_the_very_second_of_closing_the_window_is_already_final(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.now = NOW + timedelta(days=5)
    with pytest.raises(ContestError, match="the window is final"):
        commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(days=5, seconds=1))))


def test_tallied_contest_refuses_a_new_contest_file(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.now = NOW + timedelta(days=5, minutes=2)
    assert commission.closer.run()[0].state == "tallied"
    with pytest.raises(ContestError, match="already tallied"):
        commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(days=9))))


def test_a_change_by_someone_else_meanwhile_is_a_concurrent_update(commission, monkeypatch):
    commission.save_contest(parse_contest(contest_file(opens=NOW + timedelta(days=1))))
    monkeypatch.setattr(commission.store, "update_contest", lambda *args: False)
    with pytest.raises(ConcurrentUpdate):
        commission.save_contest(parse_contest(contest_file(opens=NOW + timedelta(days=2))))


def test_early_close_ends_the_window_after_the_notice_and_the_tally_follows_the_grace(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.advance(hours=1)
    answer = commission.close(CONTEST)
    assert (answer["state"], answer["closes_at"], answer["closed_early"], answer["tally_from"]) == \
        ("closed", "2026-03-10T10:00:10.000000Z", True, "2026-03-10T10:02:10.000000Z")
    assert commission.close(CONTEST) == answer


def test_an_open_contest_may_end_sooner_but_not_before_the_notice(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    with pytest.raises(ContestError, match="10 s from now at the earliest"):
        commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(seconds=9))))
    assert commission.save_contest(parse_contest(contest_file(closes=NOW + timedelta(seconds=10))))[0] == "updated"


def test_a_contest_that_has_not_opened_may_end_at_any_later_time(commission):
    commission.save_contest(parse_contest(contest_file(opens=NOW + timedelta(seconds=1))))
    soon = contest_file(opens=NOW + timedelta(seconds=1), closes=NOW + timedelta(seconds=2))
    assert commission.save_contest(parse_contest(soon))[0] == "updated"


def test_provisional_results_count_the_votes_so_far(commission, memory_store):
    from chalicelib.voting.records import VoteRecord

    commission.save_contest(parse_contest(contest_file()))
    memory_store.record_vote(VoteRecord(CONTEST, "v1", "R-1", "rh-001", "rehab", "2026-03-10T09:00:00.000000Z",
                                        "RSA/SHA-256", b"sealed elsewhere"))
    document = commission.admin_results(CONTEST)
    assert (document["status"], document["total"], document["state"]) == ("provisional", 1, "open")


def too_large_for_one_record() -> dict:
    """Within every field's limit, but 2,000 nominees with long descriptions: over 400 KB stored."""
    document = contest_file(opens=NOW + timedelta(days=1))
    document["nominations"][0]["nominees"] = [
        {"id": f"n-{i:04d}", "name": f"Финалист {i}", "region": "Алматы", "organization": "ЦСО",
         "description": {"ru": "Стаж двадцать лет. " * 10}} for i in range(2000)]
    return document


def test_a_contest_too_large_for_one_record_is_refused_naming_the_limit(commission):
    with pytest.raises(ContestError) as refused:
        commission.save_contest(parse_contest(too_large_for_one_record()))
    assert refused.value.field == "nominations"
    assert "over the 392 KiB that fit one record" in refused.value.problem
    assert commission.store.get_contest(CONTEST) is None


def test_a_finalists_preview_too_large_for_one_record_is_refused_as_its_upload_would_be(commission):
    from chalicelib.voting.rejection import Rejection

    commission.save_contest(parse_contest(contest_file(opens=NOW + timedelta(days=1))))
    first, *others = [nomination["id"] for nomination in contest_file()["nominations"]]
    sheet = "nomination,id,name,region,organization,description_kk,description_ru,description_en\n" + "".join(
        f"{first},n-{i:04d},Финалист {i},Алматы,ЦСО,,{'Стаж двадцать лет. ' * 10},\n" for i in range(2000)) + "".join(
        f"{other},{other}-1,Финалист,Алматы,ЦСО,,,\n" for other in others)
    for attempt in (commission.preview_finalists, commission.upload_finalists):
        with pytest.raises(Rejection) as refused:
            attempt(CONTEST, sheet.encode())
        assert refused.value.code == "invalid_contest"
        assert "that fit one record" in refused.value.detail


def test_provisional_counts_cost_one_eventually_consistent_count_a_minute_however_many_views(memory_store, clock,
                                                                                               monkeypatch):
    from chalicelib.voting.records import VoteRecord

    ticks = [0.0]
    commission = Commission(memory_store, clock, ClosingPolicy(workers=2), monotonic=lambda: ticks[0])
    commission.save_contest(parse_contest(contest_file()))
    scans: list[bool] = []
    real = memory_store.tally_segment

    def segment(contest_id, number, total, consistent=True):
        scans.append(consistent)
        return real(contest_id, number, total, consistent)

    monkeypatch.setattr(memory_store, "tally_segment", segment)
    for _ in range(50):
        assert commission.admin_results(CONTEST)["total"] == 0
    assert scans == [False, False]  # one count: two scan segments, eventually consistent
    memory_store.record_vote(VoteRecord(CONTEST, "v1", "R-1", "rh-001", "rehab", "2026-03-10T09:00:00.000000Z",
                                        "RSA/SHA-256", b"sealed elsewhere"))
    ticks[0] = 59.0
    assert commission.admin_results(CONTEST)["total"] == 0  # counted less than a minute ago
    ticks[0] = 60.0
    document = commission.admin_results(CONTEST)
    assert (document["total"], document["tallied_at"], len(scans)) == (1, "2026-03-10T09:00:00.000000Z", 4)


def test_an_early_close_keeps_the_end_it_had_been_planned_for(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.advance(hours=1)
    commission.close(CONTEST)
    stored = commission.store.get_contest(CONTEST)
    assert (stored.closed_early, stored.planned_closes_at) == (True, NOW + timedelta(days=5))


def test_a_contest_closed_on_time_was_not_closed_early(commission, clock):
    commission.save_contest(parse_contest(contest_file()))
    clock.now = NOW + timedelta(days=5, minutes=2)
    commission.closer.run()
    assert commission.store.get_contest(CONTEST).closed_early is False


def test_finalists_merged_into_a_revision_changed_meanwhile_are_refused_as_contest_changed(commission, monkeypatch):
    from chalicelib.voting.rejection import Rejection
    from tests.voting.test_finalists import GOOD

    opens = NOW + timedelta(days=1)
    commission.save_contest(parse_contest(contest_file(opens=opens)))
    merged = commission._with_finalists

    def another_admin_retitles_it_meanwhile(contest_id, body):
        found = merged(contest_id, body)
        retitled = contest_file(opens=opens)
        retitled["title"]["ru"] = "Лучший социальный работник года"
        commission.save_contest(parse_contest(retitled))
        return found

    monkeypatch.setattr(commission, "_with_finalists", another_admin_retitles_it_meanwhile)
    with pytest.raises(Rejection) as refused:
        commission.upload_finalists(CONTEST, GOOD.encode())
    assert refused.value.code == "contest_changed"
    stored = commission.store.get_contest(CONTEST)
    assert (stored.revision, stored.contest.title["ru"]) == (2, "Лучший социальный работник года")
