"""Sealed evidence: the CMS encrypted to the commission's public key and bound to its record."""

from __future__ import annotations

import dataclasses

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.voting.ballot import ballot_bytes
from chalicelib.voting.seal import (
    Binding,
    CannotUnwrap,
    NotSealed,
    NotThisVote,
    OtherKey,
    Sealer,
    SealError,
    open_sealed,
    public_key_from_pem,
    sealed_parts,
)
from tests.conftest import commission_key, commission_sealer

BINDING = Binding("best-social-worker-2025", "ab" * 32, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX", "hc-001",
                  "2026-03-10T09:00:00.000000Z")


@pytest.fixture(scope="module")
def cms(pki) -> bytes:
    return pki.sign(ballot_bytes(BINDING.contest, BINDING.nominee, "c1.0.x.y"), pki.voter("900101300123"))


def test_sealed_evidence_opens_with_the_commissions_key_for_its_own_record(cms):
    sealed = commission_sealer().seal(BINDING, cms)
    assert open_sealed(sealed, BINDING, commission_key()) == (cms, None)


def test_a_detached_cms_keeps_its_ballot_under_the_seal(cms):
    sealed = commission_sealer().seal(BINDING, cms, b'{"v":1}')
    assert open_sealed(sealed, BINDING, commission_key()) == (cms, b'{"v":1}')


def test_nothing_of_the_signer_is_readable_in_the_sealed_bytes(cms):
    assert b"900101300123" in cms and "ТЕСТОВ".encode() in cms  # the CMS names the signer
    sealed = commission_sealer().seal(BINDING, cms)
    assert b"900101300123" not in sealed and "ТЕСТОВ".encode() not in sealed
    assert cms[100:140] not in sealed


def test_every_seal_has_its_own_data_key(cms):
    first, second = (sealed_parts(commission_sealer().seal(BINDING, cms)) for _ in range(2))
    assert first.wrapped != second.wrapped and first.ciphertext != second.ciphertext


@pytest.mark.parametrize("field", ["contest", "voter", "receipt", "nominee", "cast_at"])
def test_sealed_evidence_moved_to_another_record_does_not_open(cms, field):
    sealed = commission_sealer().seal(BINDING, cms)
    other = dataclasses.replace(BINDING, **{field: getattr(BINDING, field) + "0"})
    with pytest.raises(NotThisVote, match="does not belong to this vote"):
        open_sealed(sealed, other, commission_key())


def test_evidence_sealed_to_another_commission_names_both_keys(cms):
    sealed = commission_sealer("other").seal(BINDING, cms)
    with pytest.raises(OtherKey) as caught:
        open_sealed(sealed, BINDING, commission_key())
    assert caught.value.sealed_to.hex() in str(caught.value)
    assert commission_key().key_id.hex() in str(caught.value)


def test_an_altered_ciphertext_does_not_open(cms):
    sealed = bytearray(commission_sealer().seal(BINDING, cms))
    sealed[-20] ^= 1
    with pytest.raises(NotThisVote):
        open_sealed(bytes(sealed), BINDING, commission_key())


def test_an_altered_wrapped_data_key_does_not_unwrap(cms):
    sealed = bytearray(commission_sealer().seal(BINDING, cms))
    sealed[40] ^= 1  # inside the wrapped data key, after the 19-byte header
    with pytest.raises(CannotUnwrap):
        open_sealed(bytes(sealed), BINDING, commission_key())


@pytest.mark.parametrize("sealed", [b"", b"\x01" + b"\x00" * 10, b"\x02" + b"\x00" * 80])
def test_bytes_that_are_not_sealed_evidence_are_named_so(sealed):
    with pytest.raises(NotSealed):
        open_sealed(sealed, BINDING, commission_key())


def test_the_commission_key_is_rsa_of_at_least_3072_bits():
    short = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    curve = ec.generate_private_key(ec.SECP384R1()).public_key()
    for key, reason in ((short, "2048 bits"), (curve, "not an RSA public key")):
        pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        with pytest.raises(ValueError, match=reason):
            public_key_from_pem(pem)


def test_the_sealer_takes_the_public_key_from_its_pem():
    pem = commission_key().public_key.public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    assert Sealer(public_key_from_pem(pem.decode())).key_id == commission_key().key_id


@given(st.binary(max_size=600))
def test_any_bytes_are_opened_or_refused_with_a_seal_error_never_a_crash(data):
    with pytest.raises(SealError):
        open_sealed(data, BINDING, commission_key())


@given(st.integers(0, 700), st.binary(max_size=700))
def test_any_bytes_after_the_right_key_id_are_refused_with_a_seal_error(length, rest):
    header = bytes([1]) + commission_key().key_id + length.to_bytes(2, "big")
    with pytest.raises(SealError):
        open_sealed(header + rest, BINDING, commission_key())
