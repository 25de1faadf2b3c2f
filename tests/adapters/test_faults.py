"""Storage faults on the vote path, injected by a proxy in front of the real local server:
throttling, 5xx, timeouts and lost answers give 503 with Retry-After, never 500, leave no
partial state, and the client's retry ends with exactly one vote."""

from __future__ import annotations

import json
import uuid

import pytest

from chalicelib.adapters.dynamodb import DynamoStore
from tests.conftest import stored_votes
from tests.fault_proxy import DROP, LOSE_RESPONSE, SERVER_ERROR, SLOW, THROTTLE, FaultProxy

pytestmark = pytest.mark.integration
CONTEST = "best-social-worker-2025"


@pytest.fixture
def faulty(dynalite, pki, monkeypatch):
    """The app on storage reached through a fault-injecting proxy."""

    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.voting.contest import parse_contest
    from tests.conftest import ROOT, Clock, Service, contest_file, make_runtime

    proxy = FaultProxy(dynalite, slow_seconds=1.5)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = short_timeouts(DynamoStore(f"f{uuid.uuid4().hex[:10]}-", proxy.endpoint, "us-east-1"), read=True)
    store.create_tables()
    clock = Clock()
    installed = make_runtime(pki, clock, store)
    installed.commission.save_contest(parse_contest(contest_file()))
    runtime.install(installed)
    with Client(application.app, project_dir=str(ROOT)) as client:
        yield Service(client.http, clock, pki, installed, store), proxy, store
    runtime.install(None)
    proxy.close()


def short_timeouts(store: DynamoStore, read: bool = False) -> DynamoStore:
    """Half a second to connect (and to read): a fault shows within a test's patience."""
    for model in (store.contests, store.votes):
        model.Meta.connect_timeout_seconds = 0.5
        if read:
            model.Meta.read_timeout_seconds = 0.5
    return store


def answer(response) -> tuple[int, str | None]:
    return response.status_code, json.loads(response.body).get("error")


def votes(store) -> list:
    return stored_votes(store, CONTEST)


@pytest.mark.parametrize("fault", [THROTTLE, SERVER_ERROR, SLOW, DROP])
@pytest.mark.parametrize("operation", ["GetItem", "PutItem"])
def test_persistent_fault_gives_503_then_the_retry_stores_one_vote(faulty, operation, fault):
    service, proxy, store = faulty
    vote = service.vote_body(service.pki.voter("900101300401"))
    proxy.always_fail(operation, fault)
    response = service.post_vote(vote)
    assert answer(response) == (503, "unavailable")
    assert response.headers["Retry-After"]
    proxy.heal()
    # A slow write reaches the table after the client gave up; any other fault writes nothing.
    written = 1 if (operation, fault) == ("PutItem", SLOW) else 0
    assert len(votes(store)) == written
    assert service.post_vote(vote).status_code == (200 if written else 201)
    assert len(votes(store)) == 1


def test_one_throttled_write_is_retried_inside_the_request(faulty):
    service, proxy, _ = faulty
    vote = service.vote_body(service.pki.voter("900101300402"))
    before = len(proxy.calls)
    proxy.inject("PutItem", THROTTLE)
    assert service.post_vote(vote).status_code == 201
    assert proxy.calls[before:].count("PutItem") == 2


def test_write_applied_but_answer_lost_then_retry_gets_the_same_receipt(faulty):
    service, proxy, store = faulty
    vote = service.vote_body(service.pki.voter("900101300403"))
    proxy.always_fail("PutItem", LOSE_RESPONSE)
    assert answer(service.post_vote(vote)) == (503, "unavailable")
    proxy.heal()
    [stored] = votes(store)  # the write did happen
    retry = service.post_vote(vote)
    assert retry.status_code == 200
    assert json.loads(retry.body)["receipt"] == stored.receipt
    assert len(votes(store)) == 1


def test_fault_reading_the_existing_vote_gives_503_and_the_retry_200(faulty):
    service, proxy, store = faulty
    voter = service.pki.voter("900101300404")
    vote = service.vote_body(voter)
    service.post_vote(vote)
    before = len(proxy.calls)
    # Without a contest cache (tests) the contest is read before and after the signature check;
    # both pass, the vote read fails.
    proxy.fail_after("GetItem", SERVER_ERROR, passes=2)
    assert answer(service.post_vote(vote)) == (503, "unavailable")
    assert proxy.calls[before:before + 4] == ["GetItem", "GetItem", "PutItem", "GetItem"]
    proxy.heal()
    assert service.post_vote(vote).status_code == 200
    assert len(votes(store)) == 1


@pytest.mark.parametrize("fault", [THROTTLE, SERVER_ERROR, SLOW])
def test_receipt_lookup_fault_gives_503(faulty, fault):
    service, proxy, _ = faulty
    receipt = json.loads(service.post_vote(service.vote_body(service.pki.voter("900101300405"))).body)["receipt"]
    proxy.always_fail("Query", fault)
    assert answer(service.http.get(f"/receipts/{receipt}")) == (503, "unavailable")
    proxy.heal()
    assert service.http.get(f"/receipts/{receipt}").status_code == 200


def test_contest_list_fault_gives_503(faulty):
    service, proxy, _ = faulty
    proxy.always_fail("Scan", THROTTLE)
    assert answer(service.http.get("/contests")) == (503, "unavailable")


def test_server_killed_mid_run_gives_503_and_data_survives_its_restart(pki, tmp_path, monkeypatch):

    from chalice.test import Client

    import app as application
    from chalicelib import runtime
    from chalicelib.voting.contest import parse_contest
    from devtools.stack import free_port, start_dynalite, stop
    from tests.conftest import ROOT, Clock, Service, contest_file, make_runtime

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    port = free_port()
    server = start_dynalite(port, tmp_path / "data")
    try:
        store = short_timeouts(DynamoStore("k-", f"http://127.0.0.1:{port}", "us-east-1"))
        store.create_tables()
        clock = Clock()
        installed = make_runtime(pki, clock, store)
        installed.commission.save_contest(parse_contest(contest_file()))
        runtime.install(installed)
        with Client(application.app, project_dir=str(ROOT)) as client:
            service = Service(client.http, clock, pki, installed, store)
            first = service.post_vote(service.vote_body(pki.voter("900101300406")))
            assert first.status_code == 201
            second = service.vote_body(pki.voter("900101300407"))
            stop(server)
            assert answer(service.post_vote(second)) == (503, "unavailable")
            assert answer(service.http.get("/contests")) == (503, "unavailable")
            server = start_dynalite(port, tmp_path / "data")
            assert service.post_vote(second).status_code == 201
            receipt = json.loads(first.body)["receipt"]
            assert service.http.get(f"/receipts/{receipt}").status_code == 200
    finally:
        runtime.install(None)
        stop(server)
