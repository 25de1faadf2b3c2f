"""The signed ballot is read strictly."""

import pytest

from chalicelib.voting.ballot import Ballot, ballot_bytes, parse_ballot
from chalicelib.voting.rejection import Rejection


def code(content: bytes) -> str:
    with pytest.raises(Rejection) as caught:
        parse_ballot(content)
    return caught.value.code


def test_ballot_with_any_key_order_and_whitespace_is_read():
    content = b'{ "challenge":"t",\n "nominee": "hc-001", "v": 1, "contest": "c" }'
    assert parse_ballot(content) == Ballot("c", "hc-001", "t")


def test_ballot_bytes_round_trip():
    assert parse_ballot(ballot_bytes("c", "n", "t")) == Ballot("c", "n", "t")


@pytest.mark.parametrize("content", [
    b"", b"not json", b"[]", b'"x"', b"\xff", b'{"v": 1}',
    b'{"v": 2, "contest": "c", "nominee": "n", "challenge": "t"}',
    b'{"v": true, "contest": "c", "nominee": "n", "challenge": "t"}',
    b'{"v": 1.0, "contest": "c", "nominee": "n", "challenge": "t"}',
    b'{"v": 1, "contest": 5, "nominee": "n", "challenge": "t"}',
    b'{"v": 1, "contest": "", "nominee": "n", "challenge": "t"}',
    b'{"v": 1, "contest": "c", "nominee": "n", "challenge": "t", "extra": 1}',
    b'{"v": 1, "contest": "c", "nominee": "n", "nominee": "m", "challenge": "t"}',
    b'{"v": NaN, "contest": "c", "nominee": "n", "challenge": "t"}',
    b"[" * 100000,
])
def test_anything_else_is_an_invalid_ballot(content):
    assert code(content) == "invalid_ballot"
