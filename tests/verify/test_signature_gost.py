"""GOST signatures through the whole verifier: Kalkan-made CMS with a GOST 34.10-2015/512
signer and an RSA co-signer, checked signer by signer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.signature import SignatureVerifier, VerifiedSignature
from chalicelib.verify.trust import TrustStore
from tests.conftest import nca_revocation

SIGNING_DAY = datetime(2022, 9, 28, tzinfo=UTC)  # Kalkan's signingTime is 2022-09-27 21:17 UTC
BEFORE_GOST_KEY = datetime(2021, 6, 1, tzinfo=UTC)  # the RSA co-signer's certificate was valid then


def trust(nca: Path, *names: str) -> TrustStore:
    return TrustStore([c for name in names for c in Certificate.from_pem_or_der((nca / name).read_bytes())])


def verifier_trusting(nca: Path, *names: str) -> SignatureVerifier:
    trusted = trust(nca, *names)
    return SignatureVerifier(trusted, nca_revocation(nca, trusted))


@pytest.fixture(scope="module")
def verifier(nca) -> SignatureVerifier:
    return verifier_trusting(nca, "gost2015/nca_gost2022_test.cer", "rsa/root_rsa_test.pem", "rsa/nca_rsa_test.pem")


def kalkan(nca: Path, name: str) -> bytes:
    return (nca / "cms-kalkan" / name).read_bytes()


def summary(outcome: VerifiedSignature | VerificationError) -> tuple[str, str]:
    if isinstance(outcome, VerificationError):
        return ("refused", outcome.code)
    return (outcome.iin, outcome.algorithm)


def flip_bit_in(data: bytes, needle: bytes) -> bytes:
    at = data.index(needle) + len(needle) // 2
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


@pytest.mark.parametrize("name", ["attached_two_signers.p7s", "detached_two_signers.p7s"])
def test_gost_signer_verifies_on_the_signing_day_and_the_expired_rsa_co_signer_does_not(nca, verifier, name):
    content = None if name.startswith("attached") else (nca / "cms-kalkan" / "content.txt").read_bytes()
    outcomes = verifier.verify_every_signer(kalkan(nca, name), SIGNING_DAY, content)
    assert [summary(o) for o in outcomes] == [("123456789012", "GOST 34.10-2015/512"),
                                              ("refused", "certificate_expired")]


@pytest.mark.parametrize("name", ["attached_two_signers.p7s", "detached_two_signers.p7s"])
def test_rsa_co_signer_verifies_while_its_certificate_was_valid(nca, verifier, name):
    content = None if name.startswith("attached") else (nca / "cms-kalkan" / "content.txt").read_bytes()
    outcomes = verifier.verify_every_signer(kalkan(nca, name), BEFORE_GOST_KEY, content)
    assert [summary(o) for o in outcomes] == [("refused", "certificate_not_yet_valid"),
                                              ("123456789011", "RSA/SHA-256")]


def test_gost_signed_content_changed_is_an_invalid_signature(nca, verifier):
    outcomes = verifier.verify_every_signer(kalkan(nca, "detached_two_signers.p7s"), SIGNING_DAY, b"test124")
    assert summary(outcomes[0]) == ("refused", "invalid_signature")


def test_one_bit_changed_in_the_gost_signature_is_an_invalid_signature(nca, verifier):
    from chalicelib.verify.cms import parse_signed_data

    cms = kalkan(nca, "attached_two_signers.p7s")
    gost_signature = parse_signed_data(cms).signers[0].signature
    outcomes = verifier.verify_every_signer(flip_bit_in(cms, gost_signature), SIGNING_DAY)
    assert summary(outcomes[0]) == ("refused", "invalid_signature")


def test_one_bit_changed_in_the_gost_signed_attributes_is_an_invalid_signature(nca, verifier):
    from chalicelib.verify.cms import parse_signed_data

    cms = kalkan(nca, "attached_two_signers.p7s")
    digest = parse_signed_data(cms).signers[0].message_digest
    outcomes = verifier.verify_every_signer(flip_bit_in(cms, digest), SIGNING_DAY)
    assert summary(outcomes[0]) == ("refused", "invalid_signature")


def test_gost_signer_under_another_trust_is_untrusted(nca):
    verifier = verifier_trusting(nca, "gost2004/root_gost_test.pem", "gost2004/nca_gost_test.pem")
    outcomes = verifier.verify_every_signer(kalkan(nca, "attached_two_signers.p7s"), SIGNING_DAY)
    assert summary(outcomes[0]) == ("refused", "untrusted_certificate")


def test_a_two_signer_cms_is_not_a_ballot(nca, verifier):
    with pytest.raises(VerificationError) as caught:
        verifier.verify(kalkan(nca, "attached_two_signers.p7s"), SIGNING_DAY)
    assert caught.value.code == "malformed"
