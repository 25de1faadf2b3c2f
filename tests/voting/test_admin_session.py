"""Admin sign-in with ЭЦП and the session token. Pure: the test PKI, no AWS."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from chalicelib.voting import challenge
from chalicelib.voting.admin_session import (
    SESSION_LIFETIME,
    AdminSignIn,
    actor_of,
    bearer_token,
    issue_token,
    read_token,
)
from chalicelib.voting.keys import Keys
from chalicelib.voting.rejection import Rejection
from tests.conftest import NOW, SECRET, Clock

KEYS = Keys(SECRET)
ADMIN = "880202400456"
OTHER = "900101300123"


def login_body(pki, iin: str = ADMIN, purpose: str = "admin-login", token: str | None = None, **options) -> bytes:
    if token is None:
        token = challenge.issue(KEYS.challenge, challenge.ADMIN_LOGIN, "admin", NOW).token
    content = json.dumps({"v": 1, "purpose": purpose, "challenge": token}).encode()
    cms = pki.sign(content, pki.voter(iin, **options))
    return json.dumps({"cms": base64.b64encode(cms).decode()}).encode()


@pytest.fixture
def sign_in(pki, memory_store):
    return AdminSignIn(pki.verifier(), KEYS, frozenset({ADMIN}), Clock(), memory_store)


def test_token_names_the_actor_until_it_expires():
    session = issue_token(KEYS, actor_of(KEYS, ADMIN), NOW)
    assert read_token(KEYS, session.token, NOW + SESSION_LIFETIME - timedelta(seconds=1)) == actor_of(KEYS, ADMIN)
    assert read_token(KEYS, session.token, NOW + SESSION_LIFETIME) is None


def test_session_lasts_fifteen_minutes():
    assert issue_token(KEYS, "a" * 32, NOW).expires_at == NOW + timedelta(minutes=15)


def test_token_does_not_carry_the_iin():
    assert ADMIN not in issue_token(KEYS, actor_of(KEYS, ADMIN), NOW).token


@pytest.mark.parametrize("mutate", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # forged MAC
    lambda t: t.replace(t.split(".")[2], actor_of(KEYS, OTHER)),  # another actor
    lambda t: t.replace(t.split(".")[1], str(int(t.split(".")[1]) + 3600)),  # extended
    lambda t: "", lambda t: "a1.x.y.z", lambda t: t + ".", lambda t: "ä" * 10,
])
def test_altered_or_malformed_tokens_are_refused(mutate):
    token = issue_token(KEYS, actor_of(KEYS, ADMIN), NOW).token
    assert read_token(KEYS, mutate(token), NOW) is None


def test_token_of_another_server_secret_is_refused():
    token = issue_token(Keys("another-secret-that-is-long-enough-0123456789"), actor_of(KEYS, ADMIN), NOW).token
    assert read_token(KEYS, token, NOW) is None


def test_bearer_header_yields_its_token():
    assert bearer_token("Bearer abc.def") == "abc.def"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None and bearer_token("Bearer ") is None and bearer_token(None) is None


def test_listed_admin_signs_in_and_gets_a_token_for_their_actor(sign_in, pki):
    session = sign_in.sign_in(login_body(pki))
    assert read_token(KEYS, session.token, NOW) == actor_of(KEYS, ADMIN)


def test_admin_may_sign_in_with_an_auth_key(sign_in, pki):
    assert sign_in.sign_in(login_body(pki, usage="auth")).actor == actor_of(KEYS, ADMIN)


def test_person_not_listed_is_forbidden(sign_in, pki):
    with pytest.raises(Rejection) as refused:
        sign_in.sign_in(login_body(pki, iin=OTHER))
    assert refused.value.code == "forbidden" and OTHER not in refused.value.detail


def test_signed_vote_ballot_is_not_a_login(sign_in, pki):
    with pytest.raises(Rejection) as refused:
        sign_in.sign_in(login_body(pki, purpose="vote"))
    assert refused.value.code == "invalid_ballot"


def test_vote_challenge_cannot_open_an_admin_session(sign_in, pki):
    vote_challenge = challenge.issue(KEYS.challenge, challenge.VOTE, "admin", NOW).token
    with pytest.raises(Rejection) as refused:
        sign_in.sign_in(login_body(pki, token=vote_challenge))
    assert refused.value.code == "invalid_challenge"


def test_expired_challenge_is_refused(pki, memory_store):
    late = AdminSignIn(pki.verifier(), KEYS, frozenset({ADMIN}), Clock(NOW + timedelta(minutes=11)), memory_store)
    with pytest.raises(Rejection) as refused:
        late.sign_in(login_body(pki))
    assert refused.value.code == "invalid_challenge"


def test_an_admin_challenge_lives_three_minutes(pki, memory_store):
    clock = Clock()
    sign_in = AdminSignIn(pki.verifier(), KEYS, frozenset({ADMIN}), clock, memory_store)
    issued = sign_in.challenge()
    assert issued.expires_at == NOW + timedelta(minutes=3)
    clock.advance(minutes=3)
    with pytest.raises(Rejection, match="invalid_challenge"):
        sign_in.sign_in(login_body(pki, token=issued.token))


def test_one_signed_sign_in_opens_one_session_however_often_it_is_posted(sign_in, pki):
    body = login_body(pki, token=sign_in.challenge().token)
    assert sign_in.sign_in(body).actor == actor_of(KEYS, ADMIN)
    for _ in range(3):
        with pytest.raises(Rejection) as refused:
            sign_in.sign_in(body)
        assert refused.value.code == "invalid_challenge" and ADMIN not in refused.value.detail


def test_a_new_challenge_signs_in_again(sign_in, pki):
    sign_in.sign_in(login_body(pki, token=sign_in.challenge().token))
    assert sign_in.sign_in(login_body(pki, token=sign_in.challenge().token)).actor == actor_of(KEYS, ADMIN)


def test_a_refused_sign_in_spends_nothing(sign_in, pki, memory_store):
    token = sign_in.challenge().token
    with pytest.raises(Rejection, match="forbidden"):
        sign_in.sign_in(login_body(pki, iin=OTHER, token=token))
    assert memory_store._spent == {}
    assert sign_in.sign_in(login_body(pki, token=token)).actor == actor_of(KEYS, ADMIN)


@pytest.mark.parametrize("body", [b"", b"[]", b'{"cms": "***"}', b'{"cms": "YQ==", "x": 1}', b"\xff"])
def test_malformed_sign_in_bodies_are_400(sign_in, body):
    with pytest.raises(Rejection) as refused:
        sign_in.sign_in(body)
    assert refused.value.code == "malformed_request"


def test_untrusted_signature_is_refused(sign_in, pki):
    from devtools import devpki

    stranger_root = devpki.issue_ca("STRANGER", not_before=NOW - timedelta(days=10), days=100)
    stranger = devpki.issue_person(stranger_root, ADMIN, not_before=NOW - timedelta(days=1))
    content = json.dumps({"v": 1, "purpose": "admin-login",
                          "challenge": sign_in.challenge().token}).encode()
    cms = devpki.sign_cms(content, stranger)
    with pytest.raises(Rejection) as refused:
        sign_in.sign_in(json.dumps({"cms": base64.b64encode(cms).decode()}).encode())
    assert refused.value.code == "untrusted_certificate"
