"""The closer on its schedule, through chalice.test (lambda invoke of a CloudWatch event), with the
real clock moved by time-machine; storage under moto."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine

from chalicelib import storage
from chalicelib.closing import ClosingSettings, grace_problems
from chalicelib.contest import iso_utc
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
def stack(dynamodb, pki, clock):
    """The app on the real clock (time-machine moves it): votes, receipts and the schedule."""
    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.contest import parse_contest
    from chalicelib.voting import utc_now
    from tests.conftest import contest_file, make_runtime

    runtime.install(make_runtime(pki, utc_now))
    storage.save_contest(parse_contest(contest_file()), NOW - timedelta(days=1))
    with Client(application.app, project_dir=str(ROOT)) as client:
        yield client
    runtime.install(None)


def challenge_of(client) -> str:
    return json.loads(client.http.post(f"/contests/{CONTEST}/challenges").body)["challenge"]


def cast(client, pki, iin: str, nominee: str, challenge: str | None = None):
    import base64

    from chalicelib.ballot import ballot_bytes

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


def test_closer_leaves_a_contest_alone_until_closes_at_plus_grace(stack, pki, clock):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE - timedelta(seconds=1))
    assert run_closer(stack) == []
    assert storage.get_contest(CONTEST).state == "scheduled"
    assert results(stack)[1]["error"] == "results_not_ready"


def test_closer_tallies_exact_counts_once_the_grace_has_passed(stack, pki, clock):
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


def test_vote_one_second_before_closing_is_counted_and_one_second_after_is_refused(stack, pki, clock):
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


def test_receipt_is_not_counted_before_the_tally(stack, pki, clock):
    [receipt] = cast_distribution(stack, pki, {"hc-001": 1})
    assert json.loads(stack.http.get(f"/receipts/{receipt}").body)["counted"] is None


def test_vote_stored_at_or_after_closes_at_is_shown_as_not_counted(stack, pki, clock):
    from chalicelib.storage import VoteRecord

    storage.record_vote(VoteRecord(CONTEST, "late-voter", "LATE-LATE-LATE-LATE-LATE-LATE", "hc-001", "home-care",
                                   iso_utc(CLOSES), "01", "CN=X", "RSA/SHA-256", b"\x30\x00"))
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    assert results(stack)[1]["total"] == 0
    assert json.loads(stack.http.get("/receipts/LATE-LATE-LATE-LATE-LATE-LATE").body)["counted"] is False


def test_running_the_closer_again_changes_nothing(stack, pki, clock):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    first = storage.get_contest(CONTEST)
    clock.move_to(CLOSES + GRACE + timedelta(minutes=1))
    assert run_closer(stack) == []
    again = storage.get_contest(CONTEST)
    assert (again.result, again.revision, again.state) == (first.result, first.revision, "tallied")


def test_two_closers_at_once_store_one_result(stack, pki, clock, monkeypatch):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)
    revision = storage.get_contest(CONTEST).revision
    both_counting = threading.Barrier(2, timeout=60)  # generous: a loaded CI machine
    scan = storage.tally_segment

    def segment(contest_id: str, number: int, total: int):
        if number == 0:
            both_counting.wait()  # neither closer stores before the other has started counting
        return scan(contest_id, number, total)

    monkeypatch.setattr(storage, "tally_segment", segment)
    outcomes: list[list[dict]] = []
    threads = [threading.Thread(target=lambda: outcomes.append(run_closer(stack))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o[0]["state"] for o in outcomes] == ["tallied", "tallied"]
    assert outcomes[0][0]["digest"] == outcomes[1][0]["digest"]
    stored = storage.get_contest(CONTEST)
    assert stored.revision == revision + 2  # one close, one result: each conditional write won once
    assert votes_of(results(stack)[1]) == DISTRIBUTION


def test_crash_between_counting_and_storing_leaves_the_contest_retallyable(stack, pki, clock, monkeypatch):
    cast_distribution(stack, pki)
    clock.move_to(CLOSES + GRACE)

    def crash(*args, **kwargs):
        raise storage.StorageUnavailable("the Lambda died here")

    with monkeypatch.context() as patched:
        patched.setattr(storage, "store_result", crash)
        assert run_closer(stack) == [{"contest": CONTEST, "state": "failed", "digest": None, "total": None}]
    assert storage.get_contest(CONTEST).state == "closed"
    assert results(stack)[1]["error"] == "results_not_ready"
    clock.move_to(CLOSES + GRACE + timedelta(minutes=1))
    assert run_closer(stack)[0]["state"] == "tallied"
    assert votes_of(results(stack)[1]) == DISTRIBUTION


def test_closed_contest_refuses_votes_and_challenges(stack, pki, clock):
    challenge = challenge_of(stack)
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    clock.move_to(NOW)  # even with a clock that went back, the stored state says closed
    assert json.loads(cast(stack, pki, "900101300001", "hc-001", challenge).body)["error"] == "voting_closed"
    assert json.loads(stack.http.post(f"/contests/{CONTEST}/challenges").body)["error"] == "voting_closed"


def test_the_closer_is_scheduled_every_minute():
    import app as application

    [schedule] = [s for s in application.app.event_sources if getattr(s, "name", "") == "close_contests"]
    assert schedule.schedule_expression.to_string() == "rate(1 minute)"


def test_turnout_is_kept_per_hour(stack, pki, clock):
    cast_distribution(stack, pki, {"hc-001": 2})
    clock.move_to(NOW + timedelta(hours=3))
    cast(stack, pki, "900101309999", "rh-001")
    clock.move_to(CLOSES + GRACE)
    run_closer(stack)
    assert storage.get_contest(CONTEST).result.turnout == {"2026-03-10T09": 2, "2026-03-10T12": 1}


def test_grace_exceeds_the_vote_functions_timeout_in_every_stage():
    config = json.loads(Path(ROOT, ".chalice", "config.json").read_text())
    assert grace_problems(config) == []
    assert all("VOTING_CLOSE_GRACE_SECONDS" in {**config.get("environment_variables", {}),
                                               **stage["environment_variables"]}
               for stage in config["stages"].values())


def test_a_grace_not_longer_than_the_timeout_is_reported():
    config = {"stages": {"prod": {"lambda_functions": {"api_handler": {"lambda_timeout": 120}},
                                  "environment_variables": {"VOTING_CLOSE_GRACE_SECONDS": "120"}}}}
    assert grace_problems(config) == ["stage prod: grace 120 s does not exceed the vote function's timeout 120 s"]


def test_grace_and_workers_come_from_the_environment_with_defaults():
    assert ClosingSettings.from_environment({}) == ClosingSettings(timedelta(minutes=2), 8)
    assert ClosingSettings.from_environment({"VOTING_CLOSE_GRACE_SECONDS": "90", "VOTING_TALLY_WORKERS": "4"}) == \
        ClosingSettings(timedelta(seconds=90), 4)


def test_every_counted_vote_is_read_once_across_segments(stack, pki):
    cast_distribution(stack, pki)
    seen = Counter(v.receipt for s in range(8) for v in storage.tally_segment(CONTEST, s, 8))
    assert len(seen) == 7 and set(seen.values()) == {1}
