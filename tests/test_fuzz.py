"""Hostile input, generated: request bodies and mutated CMS never give a 5xx and never an
accepted vote that was not signed as such. `make fuzz` runs ≥ 10,000 cases."""

from __future__ import annotations

import base64
import contextlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.verify import failures
from chalicelib.verify.failures import VerificationError
from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.receipt import receipt_for, voter_key
from tests.conftest import NOW, SECRET
from tests.verify.test_cms import tlv

CONTEST = "best-social-worker-2025"
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=20,
)
bodies = st.one_of(
    st.binary(max_size=2000),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(st.sampled_from(["cms", "content", "x"]), st.text(max_size=200) | json_values,
                    max_size=3).map(lambda v: json.dumps(v).encode()),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=", max_size=400)
    .map(lambda b: json.dumps({"cms": b}).encode()),
)


@given(body=bodies)
def test_arbitrary_bodies_get_a_4xx_and_store_nothing(service, body):
    response = service.post_vote(body)
    assert 400 <= response.status_code < 500
    assert json.loads(response.body)["error"]
    assert service.votes(CONTEST) == []


def mutate(data: bytes, choice: int, position: int, value: int, length: int) -> bytes:
    position %= len(data)
    if choice == 0:  # flip one bit
        return data[:position] + bytes([data[position] ^ (1 << (value % 8))]) + data[position + 1:]
    if choice == 1:  # replace a byte
        return data[:position] + bytes([value % 256]) + data[position + 1:]
    if choice == 2:  # truncate
        return data[:position]
    if choice == 3:  # insert bytes
        return data[:position] + bytes([value % 256]) * (length % 40 + 1) + data[position:]
    return data[:position] + data[position:position + length % 64] + data[position:]  # duplicate a slice


mutations = st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.integers(0, 255), st.integers(0, 1000))


@pytest.fixture(scope="module")
def signed_ballot(pki):
    return pki.sign(ballot_bytes(CONTEST, "hc-001", "not-a-real-challenge"), pki.voter("900101300501"))


@given(mutation=mutations)
def test_mutated_cms_is_refused_or_is_exactly_what_was_signed(pki, signed_ballot, mutation):
    cms = signed_ballot
    verifier = pki.verifier()
    try:
        result = verifier.verify(mutate(cms, *mutation), NOW)
    except VerificationError as refusal:
        assert refusal.code in failures.CODES - {failures.REVOCATION_UNAVAILABLE}
        return
    assert result.iin == "900101300501"
    assert result.content == ballot_bytes(CONTEST, "hc-001", "not-a-real-challenge")


@given(mutation=mutations)
def test_mutated_vote_through_the_app_is_never_a_5xx_nor_a_forged_vote(service, mutation):
    voter = service.pki.voter("900101300502")
    ballot = ballot_bytes(CONTEST, "rh-001", service.challenge())
    cms = mutate(service.pki.sign(ballot, voter), *mutation)
    response = service.post_vote({"cms": base64.b64encode(cms).decode()})
    assert response.status_code < 500
    from chalicelib.voting.keys import Keys

    keys = Keys(SECRET)
    signed_as = ("rh-001", receipt_for(keys, CONTEST, voter_key(keys, CONTEST, "900101300502")))
    stored = [(v.nominee, v.receipt) for v in service.votes(CONTEST)]
    # Whatever the mutation, the only vote that can ever be stored is the one this voter signed.
    assert stored in ([], [signed_as])
    if response.status_code in (200, 201):
        assert stored == [signed_as]


@given(mutation=mutations, ber=st.booleans())
def test_the_der_reader_refuses_a_mutation_with_its_own_error_only(signed_ballot, mutation, ber):
    from chalicelib.verify.certificate import Certificate, CertificateError
    from chalicelib.verify.cms import MalformedCms, parse_signed_data
    from tests.verify.test_cms import to_ber

    data = mutate(to_ber(signed_ballot) if ber else signed_ballot, *mutation)
    try:
        parsed = parse_signed_data(data)
    except MalformedCms:
        return
    for encoded in parsed.certificates:
        with contextlib.suppress(CertificateError):
            Certificate(encoded)


@given(mutation=mutations)
def test_a_mutated_ber_cms_is_refused_or_is_exactly_what_was_signed(pki, signed_ballot, mutation):
    from tests.verify.test_cms import to_ber

    try:
        result = pki.verifier().verify(mutate(to_ber(signed_ballot), *mutation), NOW)
    except VerificationError as refusal:
        assert refusal.code in failures.CODES - {failures.REVOCATION_UNAVAILABLE}
        return
    assert result.iin == "900101300501"
    assert result.content == ballot_bytes(CONTEST, "hc-001", "not-a-real-challenge")


def signed_data_wrapper(inner: bytes) -> bytes:
    oid = bytes.fromhex("06092a864886f70d010702")  # id-signedData
    return tlv(0x30, oid + tlv(0xA0, inner))


def deep_nesting(depth: int) -> bytes:
    # Indefinite-length BER: four bytes a level; 10,000 levels still fit a 64 KiB body in base64.
    return b"\x30\x80" * depth + b"\x00\x00" * depth


@pytest.mark.parametrize("payload", [
    pytest.param(signed_data_wrapper(deep_nesting(10000)), id="deeply-nested"),
    pytest.param(signed_data_wrapper(tlv(0x30, tlv(0x02, b"\x7f" + b"\xff" * 40000))), id="huge-integer"),
    pytest.param(signed_data_wrapper(tlv(0x30, tlv(0x06, b"\x2a" + b"\x81\x80\x01" * 12000))), id="long-oid"),
    pytest.param(tlv(0x30, tlv(0x06, b"\xff" * 30000)), id="long-outer-oid"),
    pytest.param(b"\x30\x84\xff\xff\xff\xff" + b"\x00" * 100, id="length-beyond-the-data"),
])
def test_asn1_bombs_are_a_clean_400(service, payload):
    response = service.post_vote({"cms": base64.b64encode(payload).decode()})
    assert (response.status_code, json.loads(response.body)["error"]) == (400, "malformed_request")
