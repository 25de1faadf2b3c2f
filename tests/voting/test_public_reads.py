"""The public reads on the store in memory: the list, a contest and its results are answered from
the process's copies, at a cost that does not grow with the views, with how long a cache may keep
each answer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.voting.closing import ClosingPolicy
from chalicelib.voting.commission import Commission
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.contest_cache import ContestCache
from chalicelib.voting.public_reads import FINAL_RESULTS_SECONDS, PublicReads
from chalicelib.voting.rejection import Rejection
from tests.conftest import NOW, Clock, contest_file

GRACE = ClosingPolicy().grace  # when the results are expected after voting ends

CONTEST = "best-social-worker-2025"


class Counting:
    """A store whose reads are counted."""

    def __init__(self, store) -> None:
        self.store, self.reads = store, []

    def get_contest(self, contest_id):
        self.reads.append("get_contest")
        return self.store.get_contest(contest_id)

    def list_summaries(self):
        self.reads.append("list_summaries")
        return self.store.list_summaries()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def ticks():
    return [0.0]


@pytest.fixture
def store(memory_store, clock):
    Commission(memory_store, clock, ClosingPolicy()).save_contest(parse_contest(contest_file()))
    return Counting(memory_store)


@pytest.fixture
def reads(store, clock, ticks):
    return PublicReads(ContestCache(store, 5.0, lambda: ticks[0]), clock, GRACE)


def test_the_list_reads_the_summaries_once_per_cache_lifetime_however_many_views(reads, store, ticks):
    for _ in range(100):
        assert [c["id"] for c in reads.contest_list().body["contests"]] == [CONTEST]
    ticks[0] = 5.0
    reads.contest_list()
    assert store.reads == ["list_summaries", "list_summaries"]


def test_a_contest_is_read_once_per_cache_lifetime_however_many_views(reads, store):
    for _ in range(100):
        assert reads.contest(CONTEST).body["nominations"][0]["nominees"][0]["id"] == "hc-001"
    assert store.reads == ["get_contest"]


def test_list_and_contest_may_be_cached_for_the_cache_lifetime(reads):
    assert reads.contest_list().max_age == reads.contest(CONTEST).max_age == 5


def test_no_cache_may_keep_an_answer_past_the_next_opening_or_closing(memory_store, clock, ticks):
    Commission(memory_store, clock, ClosingPolicy()).save_contest(parse_contest(
        contest_file("soon", opens=NOW + timedelta(seconds=3, milliseconds=500), closes=NOW + timedelta(days=1))))
    reads = PublicReads(ContestCache(memory_store, 5.0, lambda: ticks[0]), clock, GRACE)
    assert (reads.contest_list().max_age, reads.contest("soon").max_age) == (3, 3)
    clock.now = NOW + timedelta(days=1) - timedelta(seconds=1)
    assert reads.contest("soon").max_age == 1


def test_the_server_time_of_a_cached_contest_is_the_time_of_the_answer(reads, clock):
    first = reads.contest(CONTEST).body["server_time"]
    clock.advance(seconds=2)
    assert reads.contest(CONTEST).body["server_time"] != first


def test_published_results_are_built_once_and_may_be_cached_an_hour(memory_store, clock, ticks):
    commission = Commission(memory_store, clock, ClosingPolicy())
    commission.save_contest(parse_contest(contest_file()))
    clock.now = NOW + timedelta(days=5, minutes=2)
    commission.closer.run()
    store = Counting(memory_store)
    reads = PublicReads(ContestCache(store, 5.0, lambda: ticks[0]), clock, GRACE)
    answers = [reads.results(CONTEST) for _ in range(100)]
    assert {a.body["status"] for a in answers} == {"final"} and answers[0].max_age == FINAL_RESULTS_SECONDS == 3600
    assert answers[0].body is answers[-1].body  # built once
    assert store.reads == ["get_contest"]


def test_results_before_the_tally_are_not_ready(reads):
    with pytest.raises(Rejection, match="results_not_ready"):
        reads.results(CONTEST)


def test_an_unknown_contest_is_not_found(reads):
    with pytest.raises(Rejection, match="contest_not_found"):
        reads.contest("nope")
