"""devtools.gost_keys on the NCA's real GOST .p12 files: they open, the private key encoding is
proved by d*G == the certificate's public key, the signer's signatures verify with
chalicelib.verify.gost, and the CMS it builds passes the service's verifier. And the development
PKI's GOST citizens: their keys and certificates are written as the NCA writes them."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import pytest

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import VerificationError
from chalicelib.verify.gost import verify as gost_verify
from chalicelib.verify.gost.signature import parse_spki
from chalicelib.verify.policy import ADMIN
from chalicelib.verify.signature import SignatureVerifier
from chalicelib.verify.trust import TrustStore
from devtools import gost_keys
from tests.conftest import nca_pki_dir, nca_revocation

# file → (password, algorithm, how the private key holds d)
GOST_KEYS = {
    "gost2015/individual_valid_2022.p12": ("Aa123456", "GOST 34.10-2015/512", "OCTET STRING little-endian"),
    "gost2015/ceo_revoked.p12": ("Aa123456", "GOST 34.10-2015/512", "OCTET STRING little-endian"),
    "gost2015/individual_2023.p12": ("Qwerty12", "GOST 34.10-2015/512", "OCTET STRING little-endian"),
    "gost2004/ceo_sign_revoked.p12": ("Qwerty12", "GOST 34.310-2004", "INTEGER big-endian"),
    "production-2015/individual_gost_2018.p12": ("Qwerty12", "GOST 34.310-2004", "INTEGER big-endian"),
}
MESSAGE = b'{"v": 1, "contest": "best-social-worker-2025", "nominee": "hc-001", "challenge": "x"}'
IN_2022_09 = datetime(2022, 9, 28, tzinfo=UTC)  # individual_valid_2022 and nca_gost2022_test are valid
IN_2022_06 = datetime(2022, 6, 1, tzinfo=UTC)  # gost2004/ceo_sign_revoked and its CA are valid


@cache
def key_file(name: str) -> gost_keys.GostKeyFile:
    return gost_keys.load_pkcs12((nca_pki_dir() / name).read_bytes(), GOST_KEYS[name][0])


@cache
def pkcs8_of(name: str) -> bytes:
    """The decrypted PrivateKeyInfo of a file, without the encoding rule applied."""
    from asn1crypto import pkcs12

    password = gost_keys.bmp_password(GOST_KEYS[name][0])
    pfx = pkcs12.Pfx.load((nca_pki_dir() / name).read_bytes())
    [bag] = [b for b in gost_keys._bags(pfx, password) if b["bag_id"].native == "pkcs8_shrouded_key_bag"]
    value = bag["bag_value"]
    return gost_keys._pbe_decrypt(value["encryption_algorithm"], value["encrypted_data"].native, password)


def flip_bit(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def trust(nca: Path, *names: str) -> TrustStore:
    return TrustStore([c for name in names for c in Certificate.from_pem_or_der((nca / name).read_bytes())])


def verifier_trusting(nca: Path, *names: str) -> SignatureVerifier:
    """The service's verifier over these CAs; no CRL checked (every one optional): what is under
    test is the GOST signature, and the 2004 key here is one the NCA has since revoked."""
    trusted = trust(nca, *names)
    return SignatureVerifier(trusted, nca_revocation(nca, trusted, crls=False))


# -- primitives, no PKI needed ---------------------------------------------------------------

@pytest.mark.parametrize(("key", "bits", "plain", "cipher"), [
    ("0000000000000000", 63, "0000000000000000", "ebb773f993278eff"),
    ("ffffffffffffffff", 64, "ffffffffffffffff", "278b27e42e2f0d49"),
    ("3000000000000000", 64, "1000000000000001", "30649edf9be7d2c2"),
])
def test_rc2_decrypts_the_rfc_2268_test_vectors(key, bits, plain, cipher):
    round_keys = gost_keys._rc2_expand(bytes.fromhex(key), bits)
    assert gost_keys._rc2_decrypt_block(round_keys, bytes.fromhex(cipher)).hex() == plain


def test_rc2_table_is_a_permutation():
    assert sorted(gost_keys._PITABLE) == list(range(256))


def test_password_is_a_bmpstring_with_a_trailing_zero():
    assert gost_keys.bmp_password("Qw") == b"\x00Q\x00w\x00\x00"


# -- the NCA's files ------------------------------------------------------------------------

@pytest.mark.parametrize("name", sorted(GOST_KEYS))
def test_gost_p12_opens_and_its_key_gives_the_certificates_public_key(nca, name):
    opened = key_file(name)
    public = parse_spki(opened.certificate.spki_der)
    assert opened.key.algorithm_name == GOST_KEYS[name][1]
    assert opened.key.public_point() == (public.x, public.y)


@pytest.mark.parametrize("name", sorted(GOST_KEYS))
def test_private_key_encoding_is_the_only_reading_that_gives_the_public_key(nca, name):
    key_oid, candidates = gost_keys.private_key_candidates(pkcs8_of(name))
    public = parse_spki(key_file(name).certificate.spki_der)
    assert key_oid == public.key_oid
    curve = public.curve
    matching = [how for how, d in candidates.items()
                if 0 < d < curve.q and gost_keys.multiply(curve, d) == (public.x, public.y)]
    assert matching == [GOST_KEYS[name][2]]


@pytest.mark.parametrize("name", sorted(GOST_KEYS))
def test_wrong_password_is_refused_by_the_mac(nca, name):
    with pytest.raises(gost_keys.WrongPassword):
        gost_keys.load_pkcs12((nca / name).read_bytes(), "wrong-password")


@pytest.mark.parametrize("name", ["gost2015/individual_valid_2022.p12", "gost2015/individual_2023.p12"])
def test_rc2_40_certificate_bag_holds_the_published_certificate(nca, name):
    [published] = Certificate.from_pem_or_der((nca / name.replace(".p12", ".pem")).read_bytes())
    assert key_file(name).certificate_der == published.der


def test_key_read_against_another_certificate_is_a_mismatch(nca):
    other = key_file("gost2015/individual_2023.p12").certificate_der
    with pytest.raises(gost_keys.KeyMismatch):
        gost_keys.read_private_key(pkcs8_of("gost2015/individual_valid_2022.p12"), other)


@pytest.mark.parametrize("name", ["gost2015/individual_valid_2022.p12", "gost2004/ceo_sign_revoked.p12"])
def test_signature_verifies_with_chalicelib_gost(nca, name):
    opened = key_file(name)
    signature = opened.key.sign(MESSAGE)
    assert gost_verify(opened.certificate.spki_der, opened.key.signature_oid, MESSAGE, signature)


@pytest.mark.parametrize("name", ["gost2015/individual_valid_2022.p12", "gost2004/ceo_sign_revoked.p12"])
def test_one_bit_changed_in_the_signature_or_the_message_fails(nca, name):
    opened = key_file(name)
    spki, oid = opened.certificate.spki_der, opened.key.signature_oid
    signature = opened.key.sign(MESSAGE)
    assert not gost_verify(spki, oid, MESSAGE, flip_bit(signature, 3))
    assert not gost_verify(spki, oid, MESSAGE, flip_bit(signature, len(signature) - 3))
    assert not gost_verify(spki, oid, flip_bit(MESSAGE, 10), signature)


def test_cms_of_a_gost2015_key_verifies_through_the_service_verifier(nca):
    opened = key_file("gost2015/individual_valid_2022.p12")
    cms = gost_keys.sign_cms_gost(MESSAGE, opened.certificate_der, opened.key, signing_time=IN_2022_09)
    verifier = verifier_trusting(nca, "gost2015/nca_gost2022_test.cer")
    result = verifier.verify(cms, IN_2022_09, profile=ADMIN)
    assert (result.iin, result.content, result.algorithm) == ("123456789012", MESSAGE, "GOST 34.10-2015/512")


def test_detached_cms_of_a_gost2015_key_verifies_with_its_content(nca):
    opened = key_file("gost2015/individual_valid_2022.p12")
    cms = gost_keys.sign_cms_gost(MESSAGE, opened.certificate_der, opened.key, detached=True)
    verifier = verifier_trusting(nca, "gost2015/nca_gost2022_test.cer")
    assert verifier.verify(cms, IN_2022_09, MESSAGE, profile=ADMIN).content == MESSAGE


def test_cms_of_a_gost2004_key_verifies_through_the_service_verifier(nca):
    opened = key_file("gost2004/ceo_sign_revoked.p12")
    cms = gost_keys.sign_cms_gost(MESSAGE, opened.certificate_der, opened.key, signing_time=IN_2022_06)
    verifier = verifier_trusting(nca, "gost2004/root_gost_test.pem", "gost2004/nca_gost_test.pem")
    result = verifier.verify(cms, IN_2022_06, profile=ADMIN)
    assert (result.iin, result.algorithm) == ("123456789011", "GOST 34.310-2004")


def test_cms_with_a_changed_signed_attribute_is_refused(nca):
    opened = key_file("gost2015/individual_valid_2022.p12")
    cms = gost_keys.sign_cms_gost(MESSAGE, opened.certificate_der, opened.key, signing_time=IN_2022_09)
    tampered = cms.replace(b"220928000000Z", b"220928000001Z")
    assert tampered != cms
    verifier = verifier_trusting(nca, "gost2015/nca_gost2022_test.cer")
    with pytest.raises(VerificationError) as caught:
        verifier.verify(tampered, IN_2022_09, profile=ADMIN)
    assert caught.value.code == "invalid_signature"


def test_a_generated_key_is_written_as_the_nca_writes_a_gost_2015_512_public_key():
    key = gost_keys.generate_key()
    public = parse_spki(gost_keys.public_key_info(key))
    assert (public.key_oid, (public.x, public.y)) == ("1.2.398.3.10.1.1.2.2", key.public_point())


def test_a_development_gost_citizen_has_the_nca_profile_and_its_own_key_identifier(pki):
    import hashlib

    from cryptography import x509

    person = gost_keys.issue_gost_person(pki.intermediate, "900101300331")
    certificate = x509.load_der_x509_certificate(person.certificate_der)
    identifier = certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    spki = gost_keys.public_key_info(person.key)
    assert identifier == hashlib.sha1(spki[-131:]).digest()  # noqa: S324 - RFC 5280's key identifier
    assert Certificate(person.certificate_der).iin == "900101300331"
