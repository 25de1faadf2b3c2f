"""Races through the API over HTTP on the real local DynamoDB-compatible server."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor

import pytest

from chalicelib.voting.ballot import ballot_bytes
from devtools import devpki
from devtools.localpki import load_dev_pki
from tests.integration.conftest import call, new_contest

pytestmark = pytest.mark.integration
NOMINEES = ["hc-001", "hc-002", "rh-001"]


def signed_vote(pki, voter: devpki.Issued, contest: str, nominee: str, challenge: str) -> dict:
    cms = devpki.sign_cms(ballot_bytes(contest, nominee, challenge), voter, chain=(pki.nca,))
    return {"cms": base64.b64encode(cms).decode()}


def post_all(stack, contest: str, bodies: list[dict], workers: int) -> list[tuple[int, dict]]:
    url = f"{stack.api}/contests/{contest}/votes"
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda body: call("POST", url, body), bodies))


def test_64_threads_of_one_person_with_different_certificates_store_one_vote(stack, stack_storage):
    contest = new_contest(stack_storage, "race-one-person")
    pki = load_dev_pki(stack.pki_dir)
    challenge = call("POST", f"{stack.api}/contests/{contest}/challenges")[1]["challenge"]
    bodies = [signed_vote(pki, pki.new_voter("900101300555", key_kind="ec256"), contest, NOMINEES[i % 3], challenge)
              for i in range(64)]
    results = post_all(stack, contest, bodies, workers=64)
    statuses = [status for status, _ in results]
    assert statuses.count(201) == 1
    assert set(statuses) <= {200, 201, 409}
    [winner] = [answer for status, answer in results if status == 201]
    assert all(answer["receipt"] == winner["receipt"] for status, answer in results if status == 200)
    votes = list(stack_storage.votes_of(contest))
    assert [(v.nominee, v.receipt) for v in votes] == [(winner["nominee"], winner["receipt"])]


def test_500_distinct_voters_in_parallel_store_500_votes(stack, stack_storage):
    contest = new_contest(stack_storage, "race-many-voters")
    pki = load_dev_pki(stack.pki_dir)
    challenge = call("POST", f"{stack.api}/contests/{contest}/challenges")[1]["challenge"]
    bodies = [signed_vote(pki, pki.new_voter(f"99000{i:07d}", key_kind="ec256"), contest, NOMINEES[i % 3], challenge)
              for i in range(500)]
    results = post_all(stack, contest, bodies, workers=32)
    assert [status for status, _ in results] == [201] * 500
    receipts = {answer["receipt"] for _, answer in results}
    votes = list(stack_storage.votes_of(contest))
    assert len(receipts) == 500
    assert {v.receipt for v in votes} == receipts
    assert len({v.voter for v in votes}) == 500
    assert sorted(v.nominee for v in votes) == sorted(NOMINEES[i % 3] for i in range(500))


def test_vote_through_the_ncalayer_stand_in_survives_in_the_store(stack, stack_storage):
    from devtools.vote import cast

    status, answer = cast(stack.api, "best-social-worker-demo", None, "900101300999", stack.ncalayer)
    assert status == 201
    assert call("GET", f"{stack.api}/receipts/{answer['receipt']}")[1]["nominee"] == answer["nominee"]
