"""The verification policy: RFC 5280's rules on every certificate of the path, the key profile,
the two end-entity profiles and the bounds on work. One refusal per rule."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ObjectIdentifier

from chalicelib.verify import algorithms, der, trace
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.policy import ADMIN, NCA, PERSON, VOTER
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import NOW

BALLOT = b'{"v": 1, "contest": "c", "nominee": "n", "challenge": "t"}'
START = NOW - timedelta(days=30)
UNKNOWN = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00")


def refusal(verifier: SignatureVerifier, cms: bytes, profile=VOTER) -> VerificationError:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, NOW, profile=profile)
    return caught.value


def chain_with(pki, *, root_extensions=(), nca_extensions=(), nca_name=None, leaf_options=None):
    """A root → NCA → voter chain, each part with the given oddity; the verifier trusts the root."""
    root = devpki.issue_ca("ODD ROOT", not_before=START, extensions=root_extensions)
    nca = devpki.issue_ca("ODD NCA", issuer=root, not_before=START, extensions=nca_extensions, name=nca_name)
    voter = devpki.issue_person(nca, "900101300301", not_before=START, **(leaf_options or {}))
    verifier = SignatureVerifier(TrustStore([Certificate(root.der)]), devpki.current_revocation(root, nca, now=NOW))
    return verifier, devpki.sign_cms(BALLOT, voter, chain=(nca,))


def test_the_chain_without_oddities_is_accepted(pki):
    verifier, cms = chain_with(pki)
    assert verifier.verify(cms, NOW).iin == "900101300301"


@pytest.mark.parametrize("where", ["root_extensions", "nca_extensions"])
def test_an_unknown_critical_extension_on_a_ca_is_refused(pki, where):
    verifier, cms = chain_with(pki, **{where: ((UNKNOWN, True),)})
    error = refusal(verifier, cms)
    assert (error.code, "unknown critical extension" in error.detail) == ("untrusted_certificate", True)


def test_an_unknown_critical_extension_on_the_signers_certificate_is_refused(pki):
    verifier, cms = chain_with(pki, leaf_options={"extensions": ((UNKNOWN, True),)})
    assert refusal(verifier, cms).code == "untrusted_certificate"


def test_an_unknown_extension_that_is_not_critical_is_ignored(pki):
    verifier, cms = chain_with(pki, leaf_options={"extensions": ((UNKNOWN, False),)})
    assert verifier.verify(cms, NOW).iin == "900101300301"


def test_name_constraints_are_not_enforced_so_their_ca_is_refused(pki):
    constraints = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.kz")], excluded_subtrees=None)
    verifier, cms = chain_with(pki, nca_extensions=((constraints, True),))
    assert "2.5.29.30" in refusal(verifier, cms).detail


def test_policy_constraints_are_not_enforced_so_their_ca_is_refused(pki):
    constraints = x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None)
    verifier, cms = chain_with(pki, nca_extensions=((constraints, True),))
    assert "2.5.29.36" in refusal(verifier, cms).detail


@pytest.mark.parametrize(("oid", "value"), [
    pytest.param("2.5.29.33", bytes.fromhex("300e300c06042a03040506042a030406"), id="policyMappings"),
    pytest.param("2.5.29.54", b"\x02\x01\x00", id="inhibitAnyPolicy"),
])
def test_other_path_processing_extensions_are_not_enforced_so_their_ca_is_refused(pki, oid, value):
    extension = x509.UnrecognizedExtension(ObjectIdentifier(oid), value)
    verifier, cms = chain_with(pki, nca_extensions=((extension, True),))
    assert oid in refusal(verifier, cms).detail


def test_name_constraints_on_the_trust_anchor_are_refused_too(pki):
    constraints = x509.NameConstraints(permitted_subtrees=[x509.DNSName("example.kz")], excluded_subtrees=None)
    verifier, cms = chain_with(pki, root_extensions=((constraints, True),))
    assert "2.5.29.30" in refusal(verifier, cms).detail


def test_key_cert_sign_on_a_certificate_that_is_not_a_ca_is_refused(pki):
    verifier, cms = chain_with(pki, leaf_options={"key_cert_sign": True})
    error = refusal(verifier, cms)
    assert (error.code, "keyCertSign" in error.detail) == ("untrusted_certificate", True)


def test_a_ca_with_an_empty_subject_is_refused(pki):
    verifier, cms = chain_with(pki, nca_name=x509.Name([]))
    error = refusal(verifier, cms)
    assert (error.code, "empty subject" in error.detail) == ("untrusted_certificate", True)


def test_a_ca_certificate_as_the_signers_is_refused(pki):
    verifier, cms = chain_with(pki, leaf_options={"ca": True})
    assert refusal(verifier, cms).code == "untrusted_certificate"


@pytest.mark.parametrize("digits", [
    pytest.param("９００１０１３００３０１", id="fullwidth"),
    pytest.param("٩٠٠١٠١٣٠٠٣٠١", id="arabic-indic"),
    pytest.param("९००१०१३००३०१", id="devanagari"),
])
def test_an_iin_in_other_digits_is_no_iin(pki, digits):
    # The same person must not get a second identity from another script's digits.
    voter = pki.voter(digits)
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)).code == "not_an_individual"


def test_rsa_with_a_public_exponent_outside_the_profile_is_refused(pki):
    key = rsa.generate_private_key(public_exponent=3, key_size=2048)
    error = refusal(pki.verifier(), pki.sign(BALLOT, pki.voter("900101300302", key=key)))
    assert (error.code, "exponent" in error.detail) == ("invalid_signature", True)


def spki_rsa(modulus_bits: int, exponent: bytes) -> bytes:
    from tests.verify.test_cms import tlv

    modulus = b"\x00" + b"\xff" * (modulus_bits // 8)
    key = tlv(0x30, tlv(0x02, modulus) + tlv(0x02, exponent))
    algorithm = tlv(0x30, tlv(0x06, bytes.fromhex("2a864886f70d010101")) + b"\x05\x00")
    return tlv(0x30, algorithm + tlv(0x03, b"\x00" + key))


@pytest.mark.parametrize(("bits", "exponent"), [
    pytest.param(16384, b"\x01\x00\x01", id="rsa-16384"),
    pytest.param(1024, b"\x01\x00\x01", id="rsa-1024"),
    pytest.param(3072, b"\x7f" + b"\xff" * 383, id="3071-bit-exponent"),
])
def test_rsa_keys_outside_the_profile_are_refused_before_any_number_is_built(bits, exponent):
    with pytest.raises(algorithms.UnsupportedAlgorithm):
        algorithms.check_key(spki_rsa(bits, exponent), NCA)


def test_rsa_keys_of_the_nca_profile_pass():
    for bits in (2048, 3072, 4096):
        algorithms.check_key(spki_rsa(bits, b"\x01\x00\x01"), NCA)


def test_a_curve_outside_the_profile_is_refused():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    spki = ec.generate_private_key(ec.SECP521R1()).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(algorithms.UnsupportedAlgorithm):
        algorithms.check_key(spki, NCA)


def test_content_larger_than_the_policy_allows_is_refused_before_it_is_hashed(pki):
    cms = pki.sign(b"x" * (NCA.max_content_bytes + 1), pki.voter("900101300303"))
    error = refusal(pki.verifier(), cms)
    assert (error.code, trace.last().decided) == ("malformed", "shape")


def test_a_certificate_larger_than_the_policy_allows_is_refused_before_it_is_read(pki):
    big = x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.99999.2"), tlv_octets(NCA.max_certificate_bytes))
    voter = pki.voter("900101300304", extensions=((big, False),))
    assert refusal(pki.verifier(), pki.sign(BALLOT, voter)).code == "malformed"


def tlv_octets(size: int) -> bytes:
    from tests.verify.test_cms import tlv

    return tlv(der.OCTET_STRING, b"\x00" * size)


def test_the_admin_profile_takes_an_auth_key_and_the_voter_profile_does_not(pki):
    voter = pki.voter("900101300305", usage="auth")
    cms = pki.sign(BALLOT, voter)
    assert pki.verifier().verify(cms, NOW, profile=ADMIN).iin == "900101300305"
    assert refusal(pki.verifier(), cms).code == "certificate_not_for_signing"


def test_the_admin_profile_takes_a_legal_entitys_key(pki):
    cms = pki.sign(BALLOT, pki.voter("900101300306", role="legal_entity"))
    assert pki.verifier().verify(cms, NOW, profile=ADMIN).iin == "900101300306"


def test_the_person_profile_takes_an_individuals_auth_key_but_not_a_legal_entitys(pki):
    auth = pki.sign(BALLOT, pki.voter("900101300308", usage="auth"))
    assert pki.verifier().verify(auth, NOW, profile=PERSON).iin == "900101300308"
    legal = pki.sign(BALLOT, pki.voter("900101300309", role="legal_entity"))
    assert refusal(pki.verifier(), legal, PERSON).code == "not_an_individual"


def test_a_policy_is_data_that_a_verifier_can_be_given(pki):
    strict = dataclasses.replace(NCA, rsa_bits=(3072, 4096))
    verifier = SignatureVerifier(pki.trust(), pki.revocation(), rules=strict)
    assert refusal(verifier, pki.sign(BALLOT, pki.voter("900101300307"))).code == "invalid_signature"


@pytest.mark.parametrize("limit", ["max_cms_bytes", "max_certificates", "max_signed_attributes_bytes"])
def test_a_cms_one_past_a_size_limit_of_the_policy_is_refused_in_its_shape(pki, limit):
    from chalicelib.verify.cms import parse_signed_data

    cms = pki.sign(BALLOT, pki.voter("900101300310"))
    signed = parse_signed_data(cms)
    size = {"max_cms_bytes": len(cms), "max_certificates": len(signed.certificates),
            "max_signed_attributes_bytes": len(signed.signers[0].signed_attributes or b"")}[limit]
    at_limit = SignatureVerifier(pki.trust(), pki.revocation(), rules=dataclasses.replace(NCA, **{limit: size}))
    assert at_limit.verify(cms, NOW).iin == "900101300310"
    below = SignatureVerifier(pki.trust(), pki.revocation(), rules=dataclasses.replace(NCA, **{limit: size - 1}))
    assert (refusal(below, cms).code, trace.last().decided) == ("malformed", "shape")
