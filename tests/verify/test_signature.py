"""The verifier on a PKI the tests make: what is accepted, and one refusal per contract code."""

from __future__ import annotations

from datetime import timedelta

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import NOW

BALLOT = b'{"v": 1, "contest": "c", "nominee": "n", "challenge": "t"}'


def refusal(verifier: SignatureVerifier, cms: bytes, at=NOW, content: bytes | None = None) -> str:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, at, content)
    return caught.value.code


def test_rsa_sha256_ballot_is_accepted_with_the_iin_as_identity(pki):
    result = pki.verifier().verify(pki.sign(BALLOT, pki.voter("900101300123")), NOW)
    assert (result.iin, result.content, result.algorithm) == ("900101300123", BALLOT, "RSA/SHA-256")


@pytest.mark.parametrize("digest", ["sha384", "sha512"])
def test_rsa_encryption_oid_takes_the_hash_from_the_digest_algorithm(pki, digest):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), digest=digest, rsa_signature_oid="rsassa_pkcs1v15")
    assert pki.verifier().verify(cms, NOW).algorithm == f"RSA/SHA-{digest[3:]}"


@pytest.mark.parametrize(("kind", "digest"), [("ec256", "sha256"), ("ec384", "sha384")])
def test_ecdsa_p256_and_p384_signatures_are_accepted(pki, kind, digest):
    cms = pki.sign(BALLOT, pki.voter("900101300124", key_kind=kind), digest=digest)
    assert pki.verifier().verify(cms, NOW).algorithm == f"ECDSA/SHA-{digest[3:]}"


def test_detached_cms_is_accepted_with_its_content(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), detached=True)
    assert pki.verifier().verify(cms, NOW, BALLOT).content == BALLOT


def test_bytes_that_are_not_cms_are_malformed(pki):
    assert refusal(pki.verifier(), b"\x30\x03\x02\x01\x01") == "malformed"


def test_two_signers_are_malformed(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), extra_signers=(pki.voter("900101300124"),))
    assert refusal(pki.verifier(), cms) == "malformed"


def test_detached_cms_without_content_is_malformed(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), detached=True)
    assert refusal(pki.verifier(), cms) == "malformed"


def test_content_both_attached_and_detached_is_malformed(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"))
    assert refusal(pki.verifier(), cms, content=BALLOT) == "malformed"


def test_wrong_message_digest_is_an_invalid_signature(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), message_digest=b"\x00" * 32)
    assert refusal(pki.verifier(), cms) == "invalid_signature"


def test_detached_content_that_was_not_signed_is_an_invalid_signature(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), detached=True)
    assert refusal(pki.verifier(), cms, content=BALLOT.replace(b'"n"', b'"m"')) == "invalid_signature"


def test_signature_by_another_key_under_a_victims_certificate_is_invalid(pki):
    victim = pki.voter("900101300123")
    forged = devpki.Issued(victim.certificate, devpki.new_key("rsa"))
    assert refusal(pki.verifier(), pki.sign(BALLOT, forged)) == "invalid_signature"


def test_sha1_is_refused_as_an_unsupported_algorithm(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), digest="sha1")
    assert refusal(pki.verifier(), cms) == "invalid_signature"


def test_rsa_key_shorter_than_2048_bits_is_refused(pki):
    from cryptography.hazmat.primitives.asymmetric import rsa

    weak = pki.voter("900101300125", key=rsa.generate_private_key(public_exponent=65537, key_size=1024))  # noqa: S505 - the point
    assert refusal(pki.verifier(), pki.sign(BALLOT, weak)) == "invalid_signature"


def test_rogue_ca_with_byte_identical_names_is_untrusted(pki):
    rogue_root = devpki.issue_ca("TEST ROOT (RSA)", not_before=NOW - timedelta(days=365))
    rogue_nca = devpki.issue_ca("TEST NCA (RSA)", issuer=rogue_root, not_before=NOW - timedelta(days=300))
    assert rogue_nca.certificate.subject == pki.intermediate.certificate.subject
    victim = devpki.issue_person(rogue_nca, "900101300123", not_before=NOW - timedelta(days=1))
    cms = devpki.sign_cms(BALLOT, victim, chain=(rogue_nca, rogue_root))
    assert refusal(pki.verifier(), cms) == "untrusted_certificate"


def test_leaf_claiming_the_real_intermediate_but_signed_by_a_rogue_key_is_untrusted(pki):
    impostor = devpki.Issued(pki.intermediate.certificate, devpki.new_key("rsa"))
    victim = devpki.issue_person(impostor, "900101300123", not_before=NOW - timedelta(days=1))
    assert refusal(pki.verifier(), pki.sign(BALLOT, victim)) == "untrusted_certificate"


def test_issuer_that_is_not_a_ca_is_untrusted(pki):
    # A citizen's certificate used to issue another one: its signature verifies, its rights do not.
    person = pki.voter("900101300126")
    child = devpki.issue_person(person, "900101300127", not_before=NOW - timedelta(days=1))
    cms = devpki.sign_cms(BALLOT, child, chain=(person, pki.intermediate))
    assert refusal(pki.verifier(), cms) == "untrusted_certificate"


def test_self_signed_person_is_untrusted(pki):
    key = devpki.new_key("rsa")
    first = devpki.issue_person(pki.intermediate, "900101300123", key=key, not_before=NOW - timedelta(days=1))
    selfie = devpki.issue_person(devpki.Issued(first.certificate, key), "900101300123", key=key,
                                 not_before=NOW - timedelta(days=1))
    assert selfie.certificate.issuer == selfie.certificate.subject
    assert refusal(pki.verifier(), devpki.sign_cms(BALLOT, selfie)) == "untrusted_certificate"


def test_intermediate_missing_from_cms_and_trust_is_untrusted(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300123"), chain=())
    assert refusal(pki.verifier(), cms) == "untrusted_certificate"


def test_trusted_intermediate_is_an_anchor_without_its_root(pki):
    verifier = SignatureVerifier(TrustStore([Certificate(pki.intermediate.der)]), pki.revocation())
    assert verifier.verify(pki.sign(BALLOT, pki.voter("900101300123"), chain=()), NOW).iin == "900101300123"


def test_path_length_constraint_of_the_intermediate_is_enforced(pki):
    sub_ca = devpki.issue_ca("SUB CA", issuer=pki.intermediate, not_before=NOW - timedelta(days=10))
    voter = devpki.issue_person(sub_ca, "900101300123", not_before=NOW - timedelta(days=1))
    cms = pki.sign(BALLOT, voter, chain=(sub_ca, pki.intermediate))
    assert refusal(pki.verifier(), cms) == "untrusted_certificate"


def test_expired_certificate_is_refused(pki):
    voter = pki.voter("900101300123", not_before=NOW - timedelta(days=400), days=365)
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)) == "certificate_expired"


def test_certificate_not_yet_valid_is_refused(pki):
    voter = pki.voter("900101300123", not_before=NOW + timedelta(days=1))
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)) == "certificate_not_yet_valid"


def test_expired_intermediate_makes_the_path_expired(pki):
    old_nca = devpki.issue_ca("OLD NCA", issuer=pki.root, not_before=NOW - timedelta(days=100), days=50)
    voter = devpki.issue_person(old_nca, "900101300123", not_before=NOW - timedelta(days=60), days=365)
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter, chain=(old_nca,))) == "certificate_expired"


def test_revoked_certificate_is_refused(pki):
    voter = pki.voter("900101300128")
    crls = pki.crls({voter.certificate.serial_number: NOW - timedelta(days=2)})
    assert refusal(pki.verifier(pki.revocation(crls)), pki.sign(BALLOT, voter)) == "certificate_revoked"


def test_auth_key_is_not_for_signing(pki):
    voter = pki.voter("900101300123", usage="auth")
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)) == "certificate_not_for_signing"


def test_legal_entity_key_is_not_an_individual(pki):
    voter = pki.voter("900101300123", role="legal_entity")
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)) == "not_an_individual"


def test_iin_check_digit_is_not_enforced(pki):
    # 123456789012 is an NCA test IIN that fails the check-digit rule; it must still vote.
    assert pki.verifier().verify(pki.sign(BALLOT, pki.voter("123456789012")), NOW).iin == "123456789012"


def test_verification_time_must_carry_a_zone(pki):
    with pytest.raises(ValueError):
        pki.verifier().verify(pki.sign(BALLOT, pki.voter("900101300123")), NOW.replace(tzinfo=None))


def test_certificate_with_a_negative_serial_is_malformed(pki):
    from chalicelib.verify.certificate import Certificate, CertificateError

    # RFC 5280 wants positive serials; a mutated certificate can carry a negative one.
    number = pki.voter("900101300129").certificate.serial_number
    serial = number.to_bytes((number.bit_length() + 8) // 8, "big")
    der = pki.voter("900101300129").der
    at = der.index(b"\x02" + bytes([len(serial)]) + serial) + 2
    with pytest.raises(CertificateError):
        Certificate(der[:at] + bytes([serial[0] | 0x80]) + der[at + 1:])
