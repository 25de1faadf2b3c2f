"""Stateless challenge tokens."""

from datetime import timedelta

from chalicelib.voting import challenge
from tests.conftest import NOW

KEY = b"k" * 32


def test_token_is_valid_for_its_contest_until_it_expires():
    issued = challenge.issue(KEY, challenge.VOTE, "contest-a", NOW)
    assert issued.expires_at == NOW + timedelta(minutes=10)
    assert challenge.is_valid(KEY, challenge.VOTE, "contest-a", issued.token, NOW + timedelta(minutes=9, seconds=59))


def test_token_expires_after_ten_minutes():
    issued = challenge.issue(KEY, challenge.VOTE, "contest-a", NOW)
    assert not challenge.is_valid(KEY, challenge.VOTE, "contest-a", issued.token, NOW + timedelta(minutes=10))


def test_token_of_another_contest_is_refused():
    issued = challenge.issue(KEY, challenge.VOTE, "contest-a", NOW)
    assert not challenge.is_valid(KEY, challenge.VOTE, "contest-b", issued.token, NOW)


def test_vote_token_is_not_an_admin_login_token():
    issued = challenge.issue(KEY, challenge.VOTE, "contest-a", NOW)
    assert not challenge.is_valid(KEY, challenge.ADMIN_LOGIN, "contest-a", issued.token, NOW)


def test_token_made_with_another_key_is_refused():
    issued = challenge.issue(b"x" * 32, challenge.VOTE, "contest-a", NOW)
    assert not challenge.is_valid(KEY, challenge.VOTE, "contest-a", issued.token, NOW)


def test_extended_expiry_breaks_the_mac():
    version, expiry, nonce, tag = challenge.issue(KEY, challenge.VOTE, "c", NOW).token.split(".")
    forged = ".".join([version, str(int(expiry) + 3600), nonce, tag])
    assert not challenge.is_valid(KEY, challenge.VOTE, "c", forged, NOW)


def test_garbage_is_refused_without_error():
    for token in [None, 5, "", "a.b.c.d", "c1.x.y.z", "c1.١٢.y.z", "c1." + "9" * 500 + ".a.b", "é" * 10]:
        assert not challenge.is_valid(KEY, challenge.VOTE, "c", token, NOW)
