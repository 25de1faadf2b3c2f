"""Signing sessions' rules on the store in memory, without HTTP: the session holds the ballot,
a vote that passed every check claims the session just before it is written, and a session is
settled once (tests/routes/test_mobile.py has the HTTP contract)."""

import base64
import json

import pytest

from chalicelib.voting.casting import VotingService
from chalicelib.voting.contest import parse_contest
from chalicelib.voting.contest_cache import ContestCache
from chalicelib.voting.keys import Keys
from chalicelib.voting.mobile_signing import MobileSigning
from chalicelib.voting.records import StorageUnavailable
from chalicelib.voting.rejection import Rejection, message_for
from chalicelib.voting.signing_session import cms_digest
from tests.conftest import (
    NOW,
    ORGANISATION,
    PUBLIC_URL,
    SECRET,
    Clock,
    commission_sealer,
    contest_file,
    stored_votes,
)

CONTEST = "best-social-worker-2025"


@pytest.fixture
def mobile(memory_store, pki):
    memory_store.create_contest(parse_contest(contest_file()), NOW)
    voting = VotingService(pki.verifier(), Keys(SECRET), memory_store, commission_sealer(), Clock(),
                           ContestCache(memory_store, 0))
    return MobileSigning(voting, memory_store, PUBLIC_URL, ORGANISATION)


def started(mobile, nominee: str = "hc-001"):
    session = mobile.start(CONTEST, json.dumps({"nominee": nominee}).encode())
    return mobile.sessions.get_session(session.id)


def put(cms: bytes) -> bytes:
    return json.dumps({"documentsToSign": [{"id": 1, "document": {"file": {
        "data": base64.b64encode(cms).decode()}}}]}).encode()


def refusal(call) -> str:
    with pytest.raises(Rejection) as caught:
        call()
    return caught.value.code


def test_a_session_keeps_the_ballot_and_nothing_about_the_signer(mobile, pki):
    session = started(mobile)
    mobile.sign(session.id, f"Bearer {session.token}", put(pki.sign(session.ballot, pki.voter("900101300901"))))
    settled = mobile.sessions.get_session(session.id)
    kept = json.dumps({name: str(value) for name, value in vars(settled).items()})
    assert json.loads(session.ballot)["nominee"] == "hc-001"
    assert "900101300901" not in kept and "ТЕСТОВ" not in kept


def test_a_vote_is_not_written_when_another_cms_claimed_the_session_first(mobile, pki, memory_store):
    session = started(mobile)
    assert memory_store.claim_session(session.id, b"another phone's cms digest.....")
    cms = pki.sign(session.ballot, pki.voter("900101300902"))
    assert refusal(lambda: mobile.sign(session.id, f"Bearer {session.token}", put(cms))) == "session_used"
    assert stored_votes(memory_store) == []


def test_a_session_claimed_by_the_same_cms_is_finished_by_its_retry(mobile, pki, memory_store):
    session = started(mobile)
    cms = pki.sign(session.ballot, pki.voter("900101300903"))
    memory_store.claim_session(session.id, cms_digest(cms))  # the function died after its claim
    assert mobile.sign(session.id, f"Bearer {session.token}", put(cms)).vote["nominee"] == "hc-001"
    assert mobile.sessions.get_session(session.id).status == "accepted"


def test_storage_trouble_settles_nothing_and_the_same_cms_retries(mobile, pki, memory_store, monkeypatch):
    session = started(mobile)
    cms = pki.sign(session.ballot, pki.voter("900101300904"))

    def down(record):
        raise StorageUnavailable("throttled")

    with monkeypatch.context() as patched:
        patched.setattr(memory_store, "record_vote", down)
        with pytest.raises(StorageUnavailable):
            mobile.sign(session.id, f"Bearer {session.token}", put(cms))
    assert mobile.sessions.get_session(session.id).status == "waiting"
    assert mobile.sign(session.id, f"Bearer {session.token}", put(cms)).vote["receipt"]


def test_a_refused_signature_settles_the_session_with_its_code(mobile, pki):
    session = started(mobile)
    cms = pki.sign(session.ballot, pki.voter("900101300905", role="legal_entity"))
    assert refusal(lambda: mobile.sign(session.id, f"Bearer {session.token}", put(cms))) == "not_an_individual"
    settled = mobile.sessions.get_session(session.id)
    assert (settled.status, settled.error, settled.claim) == ("rejected", "not_an_individual", cms_digest(cms))


def test_the_poll_answers_in_the_callers_language(mobile, pki):
    session = started(mobile)
    cms = pki.sign(session.ballot, pki.voter("900101300906", usage="auth"))
    refusal(lambda: mobile.sign(session.id, f"Bearer {session.token}", put(cms)))
    assert mobile.poll(CONTEST, session.id, "kk")["error"] == {
        "error": "certificate_not_for_signing", "message": message_for("certificate_not_for_signing", "kk")}


def test_a_phone_vote_signed_at_once_passes_the_audit_of_its_cast_time(mobile, pki, memory_store):
    # The audit reads a ballot's challenge back to the window it was issued in; a phone's ballot
    # must state the same life as any other, or a prompt phone vote would look backdated.
    from chalicelib.voting.audit import audit
    from chalicelib.voting.evidence import SealedVote, sealed_line
    from tests.conftest import commission_key

    session = started(mobile)
    cms = pki.sign(session.ballot, pki.voter("900101300905"), signing_time=NOW)
    mobile.sign(session.id, f"Bearer {session.token}", put(cms))
    [vote] = stored_votes(memory_store)
    line = sealed_line(SealedVote(vote.receipt, vote.contest, vote.voter, vote.nominee, vote.cast_at, vote.evidence))
    report = audit([line], pki.verifier(), commission_key(), None)
    assert (report.ok, report.problems) == (True, [])
