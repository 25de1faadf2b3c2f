"""The voting service's rules, on the store in memory and without HTTP: one vote per person,
identity from the IIN, the window, the challenge, and nothing stored for a refused vote."""

import base64
import json
from datetime import timedelta

import pytest

from chalicelib.voting import challenge
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.casting import VotingService
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.contest_cache import ContestCache
from chalicelib.voting.keys import Keys
from chalicelib.voting.rejection import Rejection
from devtools import devpki
from tests.conftest import NOW, SECRET, Clock, commission_sealer, contest_file, stored_votes

CONTEST = "best-social-worker-2025"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def voting(memory_store, pki, clock):
    memory_store.create_contest(parse_contest(contest_file()), NOW)
    return VotingService(pki.verifier(), Keys(SECRET), memory_store, commission_sealer(), clock,
                         ContestCache(memory_store, 0))


def body(voting, pki, voter, nominee="hc-001", token=None) -> bytes:
    token = token or voting.issue_challenge(CONTEST).token
    cms = pki.sign(ballot_bytes(CONTEST, nominee, token), voter)
    return json.dumps({"cms": base64.b64encode(cms).decode()}).encode()


def refusal(call) -> str:
    with pytest.raises(Rejection) as caught:
        call()
    return caught.value.code


def test_a_first_vote_is_created_with_a_receipt(voting, pki):
    vote = voting.cast(CONTEST, body(voting, pki, pki.voter("900101300801")))
    assert (vote.created, vote.nominee, len(vote.receipt)) == (True, "hc-001", 29)


def test_the_same_ballot_again_is_the_same_vote(voting, pki):
    voter = pki.voter("900101300802")
    first = voting.cast(CONTEST, body(voting, pki, voter))
    again = voting.cast(CONTEST, body(voting, pki, voter))
    assert (again.created, again.receipt, again.cast_at) == (False, first.receipt, first.cast_at)


def test_the_same_person_with_another_certificate_is_already_voted(voting, pki, memory_store):
    voting.cast(CONTEST, body(voting, pki, pki.voter("900101300803")))
    renewed = devpki.issue_person(pki.intermediate, "900101300803", not_before=NOW - timedelta(days=1))
    assert refusal(lambda: voting.cast(CONTEST, body(voting, pki, renewed, "rh-001"))) == "already_voted"
    assert [v.nominee for v in stored_votes(memory_store, CONTEST)] == ["hc-001"]


def test_a_vote_after_closing_is_refused_and_not_stored(voting, pki, clock, memory_store):
    clock.now = NOW + timedelta(days=5, minutes=-1)
    ballot = body(voting, pki, pki.voter("900101300804"))
    clock.now = NOW + timedelta(days=5)
    assert refusal(lambda: voting.cast(CONTEST, ballot)) == "voting_closed"
    assert stored_votes(memory_store, CONTEST) == []


def test_a_challenge_of_another_contest_is_refused(voting, pki):
    token = challenge.issue(Keys(SECRET).challenge, challenge.VOTE, "another-contest", NOW).token
    assert refusal(lambda: voting.cast(CONTEST, body(voting, pki, pki.voter("900101300805"), token=token))) == \
        "invalid_challenge"


def test_an_expired_challenge_is_refused(voting, pki, clock):
    ballot = body(voting, pki, pki.voter("900101300806"))
    clock.advance(minutes=10)
    assert refusal(lambda: voting.cast(CONTEST, ballot)) == "invalid_challenge"


def test_a_verifier_refusal_takes_the_contracts_code(voting, pki):
    legal = pki.voter("900101300807", role="legal_entity")
    assert refusal(lambda: voting.cast(CONTEST, body(voting, pki, legal))) == "not_an_individual"


def test_an_unknown_nominee_is_an_invalid_ballot(voting, pki):
    assert refusal(lambda: voting.cast(CONTEST, body(voting, pki, pki.voter("900101300808"), "nobody"))) == \
        "invalid_ballot"


def test_a_receipt_is_found_and_not_yet_counted(voting, pki):
    vote = voting.cast(CONTEST, body(voting, pki, pki.voter("900101300809")))
    assert voting.check_receipt(vote.receipt.lower().replace("-", " ")) == \
        {"contest": CONTEST, "nominee": "hc-001", "cast_at": vote.cast_at, "counted": None}


def test_no_challenge_for_a_closed_contest(voting, clock):
    clock.now = NOW + timedelta(days=5)
    assert refusal(lambda: voting.issue_challenge(CONTEST)) == "voting_closed"


def signed(voting, pki, voter, nominee="hc-001") -> bytes:
    return pki.sign(ballot_bytes(CONTEST, nominee, voting.issue_challenge(CONTEST).token), voter)


def test_every_route_casts_through_cast_signed_and_its_hook_runs_just_before_the_write(voting, pki, memory_store):
    seen = []
    vote = voting.cast_signed(CONTEST, signed(voting, pki, pki.voter("900101300811")),
                              before_write=lambda: seen.append(len(stored_votes(memory_store))))
    assert (seen, vote.created) == ([0], True)


def test_the_hook_does_not_run_for_a_refused_vote(voting, pki):
    seen = []
    cms = signed(voting, pki, pki.voter("900101300812", usage="auth"))
    assert refusal(lambda: voting.cast_signed(CONTEST, cms, before_write=lambda: seen.append(1))) == \
        "certificate_not_for_signing"
    assert seen == []


def test_a_refusal_of_the_hook_stops_the_write(voting, pki, memory_store):
    def taken() -> None:
        raise Rejection("session_used")

    cms = signed(voting, pki, pki.voter("900101300813"))
    assert refusal(lambda: voting.cast_signed(CONTEST, cms, before_write=taken)) == "session_used"
    assert stored_votes(memory_store) == []


class Monotonic:
    """The contest cache's clock, moved by hand with the service's."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_vote_a_warm_container_accepts_after_an_early_close_is_counted(memory_store, pki, clock):
    """A container keeps its copy of the contest for 5 s: what it still accepts after an admin's
    early close is inside the counted window, and its receipt says counted."""
    from chalicelib.voting.closing import ClosingPolicy
    from chalicelib.voting.commission import Commission

    commission = Commission(memory_store, clock, ClosingPolicy())
    commission.save_contest(parse_contest(contest_file()))
    cache_clock = Monotonic()
    warm = VotingService(pki.verifier(), Keys(SECRET), memory_store, commission_sealer(), clock,
                         ContestCache(memory_store, 5.0, cache_clock))
    first = warm.cast(CONTEST, body(warm, pki, pki.voter("900101300301")))  # fills the container's copy
    ballot = body(warm, pki, pki.voter("900101300302"))
    clock.advance(seconds=1)
    commission.close(CONTEST)  # on another container
    clock.advance(seconds=4)
    cache_clock.now = 4.9  # the copy from before the close is still fresh
    late = warm.cast(CONTEST, ballot)
    assert late.created
    cache_clock.now = 5.0  # the copy expires: the closed state is read, nothing more is accepted
    with pytest.raises(Rejection, match="voting_closed"):
        warm.cast(CONTEST, body(warm, pki, pki.voter("900101300303"), token=ballot_token(warm)))
    clock.advance(minutes=3)
    commission.closer.run()
    cache_clock.now = 10.0
    assert [warm.check_receipt(v.receipt)["counted"] for v in (first, late)] == [True, True]


def ballot_token(voting) -> str:
    return challenge.issue(voting.keys.challenge, challenge.VOTE, CONTEST, voting.clock()).token


# --- a citizen's own receipt, by a signed receipt request ------------------------------------------

def receipt_request(voting, pki, signer, contest=CONTEST, token=None) -> bytes:
    from chalicelib.voting.ballot import receipt_request_bytes

    token = token or voting.issue_challenge(contest, challenge.RECEIPT_REQUEST).token
    cms = pki.sign(receipt_request_bytes(contest, token), signer)
    return json.dumps({"cms": base64.b64encode(cms).decode()}).encode()


def test_a_voter_recovers_their_receipt_by_signing_a_receipt_request(voting, pki):
    voter = pki.voter("900101300821")
    vote = voting.cast(CONTEST, body(voting, pki, voter, "hc-002"))
    found = voting.recover_receipt(CONTEST, receipt_request(voting, pki, voter))
    assert (found["receipt"], found["nominee"], found["cast_at"], found["counted"]) == (
        vote.receipt, "hc-002", vote.cast_at, None)


def test_the_receipt_request_may_be_signed_with_another_key_of_the_same_person_even_a_sign_in_key(voting, pki):
    vote = voting.cast(CONTEST, body(voting, pki, pki.voter("900101300822")))
    sign_in_key = devpki.issue_person(pki.intermediate, "900101300822", usage="auth",
                                      not_before=NOW - timedelta(days=1))
    assert voting.recover_receipt(CONTEST, receipt_request(voting, pki, sign_in_key))["receipt"] == vote.receipt


def test_someone_who_has_not_voted_gets_vote_not_found(voting, pki):
    assert refusal(lambda: voting.recover_receipt(CONTEST, receipt_request(voting, pki, pki.voter("900101300823")))) \
        == "vote_not_found"


def test_an_organisations_key_cannot_ask_for_a_persons_receipt(voting, pki):
    voting.cast(CONTEST, body(voting, pki, pki.voter("900101300824")))
    employee = devpki.issue_person(pki.intermediate, "900101300824", role="employee",
                                   not_before=NOW - timedelta(days=1))
    assert refusal(lambda: voting.recover_receipt(CONTEST, receipt_request(voting, pki, employee))) == \
        "not_an_individual"


def test_a_receipt_request_needs_its_own_kind_of_challenge_for_this_contest(voting, pki):
    voter = pki.voter("900101300825")
    voting.cast(CONTEST, body(voting, pki, voter))
    vote_token = voting.issue_challenge(CONTEST).token
    assert refusal(lambda: voting.recover_receipt(CONTEST, receipt_request(voting, pki, voter, token=vote_token))) == \
        "invalid_challenge"


def test_a_ballot_is_not_a_receipt_request(voting, pki):
    voter = pki.voter("900101300826")
    assert refusal(lambda: voting.recover_receipt(CONTEST, body(voting, pki, voter))) == "invalid_ballot"


def test_a_receipt_request_for_another_contest_is_refused(voting, pki, memory_store):
    memory_store.create_contest(parse_contest(contest_file("other-contest")), NOW)
    voter = pki.voter("900101300827")
    voting.cast(CONTEST, body(voting, pki, voter))
    request = receipt_request(voting, pki, voter, contest="other-contest")
    assert refusal(lambda: voting.recover_receipt(CONTEST, request)) == "invalid_ballot"


def test_receipts_can_be_recovered_after_voting_has_closed(voting, pki, clock):
    voter = pki.voter("900101300828")
    vote = voting.cast(CONTEST, body(voting, pki, voter))
    clock.now = NOW + timedelta(days=6)
    assert voting.recover_receipt(CONTEST, receipt_request(voting, pki, voter))["receipt"] == vote.receipt
    assert refusal(lambda: voting.issue_challenge(CONTEST)) == "voting_closed"
