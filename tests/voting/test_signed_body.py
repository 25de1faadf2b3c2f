"""The body that carries a signature, for votes and admin sign-in alike."""

import pytest

from chalicelib.voting.rejection import Rejection
from chalicelib.voting.signed_body import MAX_BODY_BYTES, read_signed_body


def code(body: bytes) -> str:
    with pytest.raises(Rejection) as caught:
        read_signed_body(body)
    return caught.value.code


def test_attached_cms_is_read():
    assert read_signed_body(b'{"cms": "MAA="}') == (b"\x30\x00", None)


def test_detached_content_is_read_and_line_breaks_in_base64_are_allowed():
    assert read_signed_body(b'{"cms": "MA\\r\\nA=", "content": "YQ=="}') == (b"\x30\x00", b"a")


def test_body_over_64_kib_is_too_large_before_it_is_parsed():
    assert code(b"x" * (MAX_BODY_BYTES + 1)) == "payload_too_large"


@pytest.mark.parametrize("body", [b"", b"[]", b'{"cms": 1}', b'{"cms": "%%"}', b'{"x": "MAA="}',
                                  b'{"cms": "MAA=", "more": 1}', b"\xff"])
def test_anything_else_is_malformed(body):
    assert code(body) == "malformed_request"


def test_pem_armour_around_the_cms_is_read_as_its_base64():
    body = b'{"cms": "-----BEGIN CMS-----\\nMAA=\\n-----END CMS-----\\n"}'
    assert read_signed_body(body) == (b"\x30\x00", None)
