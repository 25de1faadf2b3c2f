"""Sealed tokens, the one format behind challenges and admin sessions."""

from datetime import timedelta

import pytest

from chalicelib.voting import tokens
from tests.conftest import NOW

KEY = b"k" * 32


def test_payload_comes_back_until_expiry():
    token, expires = tokens.seal(KEY, "t1", NOW + timedelta(minutes=5), "abc", "purpose")
    assert expires == NOW + timedelta(minutes=5)
    assert tokens.unseal(KEY, "t1", token, NOW + timedelta(minutes=4), "purpose") == "abc"
    assert tokens.unseal(KEY, "t1", token, NOW + timedelta(minutes=5), "purpose") is None


def test_another_context_version_or_key_is_refused():
    token, _ = tokens.seal(KEY, "t1", NOW + timedelta(minutes=5), "abc", "purpose")
    assert tokens.unseal(KEY, "t1", token, NOW, "other") is None
    assert tokens.unseal(KEY, "t2", token, NOW, "purpose") is None
    assert tokens.unseal(b"x" * 32, "t1", token, NOW, "purpose") is None


def test_changed_payload_breaks_the_tag():
    token, _ = tokens.seal(KEY, "t1", NOW + timedelta(minutes=5), "abc")
    assert tokens.unseal(KEY, "t1", token.replace(".abc.", ".abd."), NOW) is None


def test_payload_with_a_dot_cannot_be_sealed():
    with pytest.raises(ValueError):
        tokens.seal(KEY, "t1", NOW, "a.b")
