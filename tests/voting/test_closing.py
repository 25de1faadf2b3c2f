"""The closer on its schedule, through chalice.test (lambda invoke of a CloudWatch event), with the
real clock moved by time-machine; the store in memory (the storage contract suite holds DynamoDB to
the same conditional writes)."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta

import pytest
import time_machine

from chalicelib.voting.clock import iso_utc
from chalicelib.voting.records import StorageUnavailable, VoteRecord
from tests.conftest import NOW, ROOT

CONTEST = "best-social-worker-2025"
CLOSES = NOW + timedelta(days=5)
GRACE = timedelta(minutes=2)
DISTRIBUTION = {"hc-001": 4, "hc-002": 2, "rh-001": 1}


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def store(memory_store):
    return memory_store


@pytest.fixture
def stack(store, pki, clock):
    """The app on the real clock (time-machine moves it): votes, receipts and the schedule."""
    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.voting.clock import utc_now
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import contest_file, make_runtime

    installed = make_runtime(pki, utc_now, store)
    runtime.install(installed)
    installed.commission.save_contest(parse_contest(contest_file()))
    with Client(application.app, project_dir=str(ROOT)) as client:
        yield client
    runtime.install(None)


def challenge_of(client) -> str:
    return json.loads(client.http.post(f"/contests/{CONTEST}/challenges").body)["challenge"]


def cast(client, pki, iin: str, nominee: str, challenge: str | None = None):
    import base64

    from chalicelib.voting.ballot import ballot_bytes

    challenge = challenge or challenge_of(client)
    cms = pki.sign(ballot_bytes(CONTEST, nominee, challenge), pki.voter(iin))
    return client.http.post(f"/contests/{CONTEST}/votes", body=json.dumps({"cms": base64.b64encode(cms).decode()}),
                            headers={"Content-Type": "application/json"})


def cast_distribution(client, pki, distribution: dict[str, int] = DISTRIBUTION) -> list[str]:
    receipts, n = [], 0
    for nominee, count in distribution.items():
        for _ in range(count):
            response = cast(client, pki, f"90010130{n:04d}", nominee)
            assert response.status_code == 201, response.body
            receipts.append(json.loads(response.body)["receipt"])
            n += 1
    return receipts


def run_closer(client) -> list[dict]:
    event = client.events.generate_cw_event(source="aws.events", detail_type="Scheduled Event", detail={},
                                            resources=["arn:aws:events:us-east-1:123456789012:rule/close_contests"])
    return client.lambda_.invoke("close_contests", event).payload


def results(client) -> tuple[int, dict]:
    response = client.http.get(f"/contests/{CONTEST}/results")
    return response.status_code, json.loads(response.body)


def votes_of(document: dict) -> dict[str, int]:
    return {n["id"]: n["votes"] for nomination in document["nominations"] for n in nomination["nominees"]}


def test_closer_leaves_a_contest_alone_until_closes_at_plus_grace(stack, store, pki, clock):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE - timedelta(seconds=1))
    assert run_closer(stack) == []
    assert store.get_contest(CONTEST).state == "scheduled"
    assert results(stack)[1]["error"] == "results_not_ready"


def test_closer_tallies_exact_counts_once_the_grace_has_passed(stack, store, pki, clock):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)
    [outcome] = run_closer(stack)
    assert (outcome["contest"], outcome["state"], outcome["total"]) == (CONTEST, "tallied", 7)
    status, document = results(stack)
    assert (status, document["status"], document["total"]) == (200, "final", 7)
    assert votes_of(document) == DISTRIBUTION
    assert [n["total"] for n in document["nominations"]] == [6, 1]
    assert document["tallied_at"] == iso_utc(CLOSES + GRACE)
    assert document["digest"] == outcome["digest"]


def test_vote_one_second_before_closing_is_counted_and_one_second_after_is_refused(stack, store, pki, clock):
    clock.move_to(CLOSES - timedelta(seconds=1))
    challenge = challenge_of(stack)
    early = cast(stack, pki, "900101300001", "rh-001", challenge)
    clock.move_to(CLOSES + timedelta(seconds=1))
    late = cast(stack, pki, "900101300002", "hc-001", challenge)
    assert (early.status_code, late.status_code, json.loads(late.body)["error"]) == (201, 403, "voting_closed")
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    assert votes_of(results(stack)[1]) == {"hc-001": 0, "hc-002": 0, "rh-001": 1}
    receipt = json.loads(early.body)["receipt"]
    assert json.loads(stack.http.get(f"/receipts/{receipt}").body)["counted"] is True


def test_receipt_is_not_counted_before_the_tally(stack, store, pki, clock):
    [receipt] = cast_distribution(stack, pki, {"hc-001": 1})
    assert json.loads(stack.http.get(f"/receipts/{receipt}").body)["counted"] is None


def test_vote_stored_at_or_after_closes_at_is_shown_as_not_counted(stack, store, pki, clock):
    store.record_vote(VoteRecord(CONTEST, "late-voter", "LATE-LATE-LATE-LATE-LATE-LATE", "hc-001", "home-care",
                                   iso_utc(CLOSES), "RSA/SHA-256", b"sealed elsewhere"))
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    assert results(stack)[1]["total"] == 0
    assert json.loads(stack.http.get("/receipts/LATE-LATE-LATE-LATE-LATE-LATE").body)["counted"] is False


def test_running_the_closer_again_changes_nothing(stack, store, pki, clock):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    first = store.get_contest(CONTEST)
    clock.move_to(CLOSES + GRACE + timedelta(minutes=1))
    assert run_closer(stack) == []
    again = store.get_contest(CONTEST)
    assert (again.result, again.revision, again.state) == (first.result, first.revision, "tallied")


def test_two_closers_at_once_store_one_result(stack, store, pki, clock, monkeypatch):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)
    revision = store.get_contest(CONTEST).revision
    both_counting = threading.Barrier(2, timeout=60)  # generous: a loaded CI machine
    scan = store.tally_segment

    def segment(contest_id: str, number: int, total: int, consistent: bool = True):
        if number == 0:
            both_counting.wait()  # neither closer stores before the other has started counting
        return scan(contest_id, number, total, consistent)

    monkeypatch.setattr(store, "tally_segment", segment)
    outcomes: list[list[dict]] = []
    threads = [threading.Thread(target=lambda: outcomes.append(run_closer(stack))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o[0]["state"] for o in outcomes] == ["tallied", "tallied"]
    assert outcomes[0][0]["digest"] == outcomes[1][0]["digest"]
    stored = store.get_contest(CONTEST)
    assert stored.revision == revision + 2  # one close, one result: each conditional write won once
    assert votes_of(results(stack)[1]) == DISTRIBUTION


def test_crash_between_counting_and_storing_leaves_the_contest_retallyable(stack, store, pki, clock, monkeypatch):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)

    def crash(*args, **kwargs):
        raise StorageUnavailable("the Lambda died here")

    with monkeypatch.context() as patched:
        patched.setattr(store, "store_result", crash)
        assert run_closer(stack) == [{"contest": CONTEST, "state": "failed", "digest": None, "total": None}]
    assert store.get_contest(CONTEST).state == "closed"
    assert results(stack)[1]["error"] == "results_not_ready"
    clock.move_to(CLOSES + GRACE + timedelta(minutes=1))
    assert run_closer(stack)[0]["state"] == "tallied"
    assert votes_of(results(stack)[1]) == DISTRIBUTION


def test_closed_contest_refuses_votes_and_challenges(stack, store, pki, clock):
    challenge = challenge_of(stack)
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    clock.move_to(NOW)  # even with a clock that went back, the stored state says closed
    assert json.loads(cast(stack, pki, "900101300001", "hc-001", challenge).body)["error"] == "voting_closed"
    assert json.loads(stack.http.post(f"/contests/{CONTEST}/challenges").body)["error"] == "voting_closed"


def test_turnout_is_kept_per_hour(stack, store, pki, clock):
    cast_distribution(stack, pki, {"hc-001": 2})
    clock.move_to(NOW + timedelta(hours=3))
    cast(stack, pki, "900101309999", "rh-001")
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    assert store.get_contest(CONTEST).result.turnout == {"2026-03-10T09": 2, "2026-03-10T12": 1}


def test_every_counted_vote_is_read_once_across_segments(stack, store, pki):
    cast_distribution(stack, pki)
    seen = Counter(v.receipt for s in range(8) for v in store.tally_segment(CONTEST, s, 8))
    assert len(seen) == 7 and set(seen.values()) == {1}


# The closer's run over several contests, on the store in memory with a clock of its own

def closer_over(store, now):
    from chalicelib.voting.closing import Closer, ClosingPolicy

    return Closer(store, lambda: now, ClosingPolicy(grace=GRACE))


def saved(store, contest_id: str, opens, closes):
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import contest_file

    store.create_contest(parse_contest(contest_file(contest_id, opens=opens, closes=closes)), opens - timedelta(days=1))


def test_one_contests_failed_tally_never_stops_the_others(memory_store, monkeypatch):
    saved(memory_store, "first-contest", NOW - timedelta(days=2), NOW - timedelta(days=1))
    saved(memory_store, "second-contest", NOW - timedelta(days=1), NOW - timedelta(hours=1))
    counted = memory_store.tally_segment

    def disk_full_for_the_first(contest_id, *args, **kwargs):
        if contest_id == "first-contest":
            raise OSError(28, "No space left on device")
        return counted(contest_id, *args, **kwargs)

    monkeypatch.setattr(memory_store, "tally_segment", disk_full_for_the_first)
    outcomes = {o.contest: o for o in closer_over(memory_store, NOW).run()}
    assert (outcomes["first-contest"].state, outcomes["second-contest"].state) == ("failed", "tallied")
    assert (outcomes["first-contest"].error or "").startswith("OSError")
    assert memory_store.get_contest("first-contest").state == "closed"


def test_a_summary_behind_an_extended_closes_at_closes_nothing(memory_store, monkeypatch):
    from dataclasses import replace

    saved(memory_store, CONTEST, NOW - timedelta(days=1), NOW + timedelta(days=1))  # extended: open a day more
    fresh = memory_store.list_summaries()
    stale = [replace(summary, closes_at=NOW - timedelta(hours=1)) for summary in fresh]  # the index lags
    monkeypatch.setattr(memory_store, "list_summaries", lambda: stale)
    assert closer_over(memory_store, NOW).run() == []
    assert memory_store.get_contest(CONTEST).state == "scheduled"
