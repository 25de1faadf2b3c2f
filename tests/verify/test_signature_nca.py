"""The verifier on the real NCA RK RSA test chain and on CMS made by the NCA's Kalkan library.

Every leaf there has expired, so each test verifies "as of" a fixed time inside the validity of
the certificates involved; validity checks stay on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.crl import read_crl
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import devpki
from tests.conftest import nca_revocation

BALLOT = b'{"v": 1, "contest": "best-social-worker-2025", "nominee": "hc-001", "challenge": "x"}'
IN_2021 = datetime(2021, 6, 1, tzinfo=UTC)  # individual_sign_valid_2021 is valid
IN_2022 = datetime(2022, 6, 1, tzinfo=UTC)  # the 2022 keys and nca_rsa_test.crl (03-29..09-25) are current
KALKAN_SIGNING_DAY = datetime(2022, 9, 28, tzinfo=UTC)


def certificates(folder: Path, *names: str) -> list[Certificate]:
    return [c for name in names for c in Certificate.from_pem_or_der((folder / name).read_bytes())]


def key_file(folder: Path, name: str, password: bytes = b"Qwerty12") -> devpki.Issued:
    key, certificate, _ = pkcs12.load_key_and_certificates((folder / name).read_bytes(), password)
    return devpki.Issued(certificate, key)


@pytest.fixture(scope="module")
def rsa_trust(nca: Path) -> TrustStore:
    return TrustStore(certificates(nca / "rsa", "root_rsa_test.pem", "nca_rsa_test.pem"))


@pytest.fixture(scope="module")
def with_crl(nca: Path, rsa_trust: TrustStore) -> SignatureVerifier:
    """The verifier over the RSA test chain with the NCA's real CRL of its issuing CA."""
    return SignatureVerifier(rsa_trust, nca_revocation(nca, rsa_trust))


def refusal(verifier: SignatureVerifier, cms: bytes, at: datetime) -> str:
    with pytest.raises(VerificationError) as caught:
        verifier.verify(cms, at)
    return caught.value.code


def test_valid_2021_sign_key_signs_an_accepted_ballot(nca, with_crl):
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_sign_valid_2021.p12"), signing_time=IN_2021)
    result = with_crl.verify(cms, IN_2021)
    assert (result.iin, result.content, result.algorithm) == ("123456789011", BALLOT, "RSA/SHA-256")


def test_the_same_ballot_is_refused_once_the_certificate_expired(nca, with_crl):
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_sign_valid_2021.p12"))
    assert refusal(with_crl, cms, IN_2022) == "certificate_expired"


def test_nca_crl_verifies_with_its_issuers_key(nca, rsa_trust):
    crl = read_crl((nca / "rsa" / "nca_rsa_test.crl").read_bytes(), rsa_trust)
    assert len(crl.revoked) == 126 and crl.issuer.subject_text.startswith("CN=ҰКО 3.0 (RSA TEST)")


def test_revoked_sign_key_is_refused_with_the_nca_crl(nca, with_crl):
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_sign_revoked.p12"))
    assert refusal(with_crl, cms, IN_2022) == "certificate_revoked"


def test_revoked_sign_key_is_accepted_before_its_revocation_time(nca, with_crl):
    # Issued 2022-01-18 04:39:33 UTC, revoked 04:40:24: a vote in between stands.
    before = datetime(2022, 1, 18, 4, 40, tzinfo=UTC)
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_sign_revoked.p12"))
    assert with_crl.verify(cms, before).iin == "123456789011"


def test_revoked_auth_key_is_refused_with_the_nca_crl(nca, with_crl):
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_auth_revoked.p12"))
    assert refusal(with_crl, cms, IN_2022) == "certificate_revoked"


def test_auth_key_is_refused_as_not_for_signing(nca, with_crl):
    # Before its revocation (2022-01-18 04:41:12 UTC): the key is then refused for what it is.
    before = datetime(2022, 1, 18, 4, 41, tzinfo=UTC)
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_auth_revoked.p12"))
    assert refusal(with_crl, cms, before) == "certificate_not_for_signing"


def test_kalkan_attached_cms_verifies_within_its_certificates_validity(nca, with_crl):
    cms = (nca / "cms-kalkan" / "attached_one_signer.p7s").read_bytes()
    result = with_crl.verify(cms, IN_2021)
    assert (result.iin, result.content, result.certificate_serial) == (
        "123456789011", b"test123", "4279390A141F5353A62947B61ED65E81741467D1")


def test_kalkan_attached_cms_on_its_signing_day_is_refused_as_expired(nca, with_crl):
    # Kalkan signed it on 2022-09-28 with a certificate that had expired on 2022-01-18.
    cms = (nca / "cms-kalkan" / "attached_one_signer.p7s").read_bytes()
    assert refusal(with_crl, cms, KALKAN_SIGNING_DAY) == "certificate_expired"


def test_production_2015_sign_key_chains_to_the_former_production_root(nca):
    trust = TrustStore(certificates(nca / "production-2015", "root_rsa.cer", "nca_rsa.cer"))
    cms = devpki.sign_cms(BALLOT, key_file(nca / "production-2015", "individual_sign_rsa_2018.p12"))
    # No CRL of the former production CAs is in the shared folder: they are optional here.
    verifier = SignatureVerifier(trust, nca_revocation(nca, trust))
    assert verifier.verify(cms, datetime(2019, 1, 1, tzinfo=UTC)).iin == "123456789011"


def test_test_chain_key_is_untrusted_under_the_production_roots(nca):
    trust = TrustStore(certificates(nca / "production-2015", "root_rsa.cer", "nca_rsa.cer"))
    cms = devpki.sign_cms(BALLOT, key_file(nca / "rsa", "individual_sign_valid_2021.p12"))
    assert refusal(SignatureVerifier(trust, nca_revocation(nca, trust)), cms, IN_2021) == "untrusted_certificate"
