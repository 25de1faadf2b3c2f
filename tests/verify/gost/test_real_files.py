"""The verifier on what the NCA's own software produced: certificates, CRLs and Kalkan CMS.

The files live in ../shared/nca-test-pki (or $VOTING_TEST_PKI_DIR); without them these tests
skip.  Certificates and CRLs are read with `cryptography` (which parses GOST certificates but
cannot verify them); the issuer's SubjectPublicKeyInfo is cut out with asn1crypto.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms as acms
from asn1crypto import x509 as ax509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.verify.gost import UnsupportedGostAlgorithm, verify
from chalicelib.verify.gost.signature import parse_spki
from chalicelib.verify.gost.streebog import streebog512

from .conftest import (
    DIGEST_2015,
    DIGEST_PARAMS_2004,
    KEY_2004,
    KEY_2015,
    PARAMS_2004,
    PARAMS_2015,
    SIG_2004,
    SIG_2015,
)


def load_cert(path: Path) -> x509.Certificate:
    data = path.read_bytes()
    if data.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_certificate(data)
    return x509.load_der_x509_certificate(data)


def load_crl(path: Path) -> x509.CertificateRevocationList:
    data = path.read_bytes()
    if data.startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def spki_of(cert: x509.Certificate) -> bytes:
    tbs = ax509.Certificate.load(cert.public_bytes(Encoding.DER))["tbs_certificate"]
    return tbs["subject_public_key_info"].dump()


def der_children(data: bytes) -> list[tuple[int, bytes]]:
    """(tag, content) of each DER element in data (test-local, short and long lengths)."""
    out = []
    pos = 0
    while pos < len(data):
        tag, length = data[pos], data[pos + 1]
        pos += 2
        if length & 0x80:
            count = length & 0x7F
            length = int.from_bytes(data[pos:pos + count], "big")
            pos += count
        out.append((tag, data[pos:pos + length]))
        pos += length
    return out


def oid_text(content: bytes) -> str:
    arcs, value = [], 0
    for byte in content:
        value = value << 7 | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    return ".".join(map(str, [arcs[0] // 40, arcs[0] % 40, *arcs[1:]]))


def key_params_of(cert: x509.Certificate) -> tuple[str, list[str]]:
    """The key algorithm OID and its parameter OIDs, read from the raw SPKI."""
    ((_, spki),) = der_children(spki_of(cert))
    (_, algorithm), _ = der_children(spki)
    (_, key_oid), (_, params) = der_children(algorithm)
    return oid_text(key_oid), [oid_text(c) for tag, c in der_children(params) if tag == 0x06]


def check(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    return verify(spki_of(issuer), cert.signature_algorithm_oid.dotted_string,
                  cert.tbs_certificate_bytes, cert.signature)


def flipped(data: bytes, index: int) -> bytes:
    out = bytearray(data)
    out[index] ^= 0x01
    return bytes(out)


# -- certificates ---------------------------------------------------------------------------

@pytest.mark.parametrize("leaf", ["individual_valid_2022.pem", "individual_2023.pem"])
def test_gost2015_leaf_verifies_against_the_2022_test_intermediate(pki, leaf):
    cert = load_cert(pki / "gost2015" / leaf)
    assert cert.signature_algorithm_oid.dotted_string == SIG_2015
    assert check(cert, load_cert(pki / "gost2015" / "nca_gost2022_test.cer"))


@pytest.mark.parametrize(("child", "parent"), [
    ("ceo_sign_valid_2022.pem", "nca_gost_test.pem"),
    ("nca_gost_test.pem", "root_gost_test.pem"),
    ("root_gost_test.pem", "root_gost_test.pem"),
])
def test_gost2004_test_chain_link_verifies(pki, child, parent):
    cert = load_cert(pki / "gost2004" / child)
    assert cert.signature_algorithm_oid.dotted_string == SIG_2004
    assert check(cert, load_cert(pki / "gost2004" / parent))


@pytest.mark.parametrize(("child", "parent"), [
    ("nca_gost.cer", "root_gost.cer"),
    ("root_gost.cer", "root_gost.cer"),
])
def test_production_2015_gost_chain_link_verifies(pki, child, parent):
    cert = load_cert(pki / "production-2015" / child)
    assert check(cert, load_cert(pki / "production-2015" / parent))


@pytest.mark.parametrize(("folder", "child", "parent"), [
    ("gost2015", "individual_valid_2022.pem", "nca_gost2022_test.cer"),
    ("gost2004", "ceo_sign_valid_2022.pem", "nca_gost_test.pem"),
])
def test_a_flipped_bit_in_the_tbs_certificate_fails(pki, folder, child, parent):
    cert = load_cert(pki / folder / child)
    issuer = load_cert(pki / folder / parent)
    tbs = cert.tbs_certificate_bytes
    assert not verify(spki_of(issuer), cert.signature_algorithm_oid.dotted_string,
                      flipped(tbs, len(tbs) // 2), cert.signature)


@pytest.mark.parametrize(("folder", "child", "parent"), [
    ("gost2015", "individual_valid_2022.pem", "nca_gost2022_test.cer"),
    ("gost2004", "ceo_sign_valid_2022.pem", "nca_gost_test.pem"),
])
@pytest.mark.parametrize("where", ["r", "s"])
def test_a_flipped_bit_in_the_signature_fails(pki, folder, child, parent, where):
    cert = load_cert(pki / folder / child)
    issuer = load_cert(pki / folder / parent)
    signature = cert.signature
    index = 3 if where == "r" else len(signature) // 2 + 3
    assert not verify(spki_of(issuer), cert.signature_algorithm_oid.dotted_string,
                      cert.tbs_certificate_bytes, flipped(signature, index))


def test_a_gost2004_leaf_does_not_verify_against_the_root(pki):
    cert = load_cert(pki / "gost2004" / "ceo_sign_valid_2022.pem")
    assert not check(cert, load_cert(pki / "gost2004" / "root_gost_test.pem"))


def test_the_test_intermediate_does_not_verify_against_the_production_root(pki):
    cert = load_cert(pki / "gost2004" / "nca_gost_test.pem")
    assert not check(cert, load_cert(pki / "production-2015" / "root_gost.cer"))


def test_a_gost2015_leaf_does_not_verify_against_another_leafs_key(pki):
    cert = load_cert(pki / "gost2015" / "individual_valid_2022.pem")
    assert not check(cert, load_cert(pki / "gost2015" / "individual_2023.pem"))


def test_a_gost2015_leaf_against_a_gost2004_issuer_is_an_algorithm_mismatch(pki):
    cert = load_cert(pki / "gost2015" / "individual_valid_2022.pem")
    with pytest.raises(UnsupportedGostAlgorithm):
        check(cert, load_cert(pki / "gost2004" / "nca_gost_test.pem"))


# -- what the key parameters are --------------------------------------------------------------

@pytest.mark.parametrize("path", ["gost2015/nca_gost2022_test.cer",
                                  "gost2015/individual_valid_2022.pem",
                                  "gost2015/individual_2023.pem"])
def test_gost2015_keys_carry_the_kazakh_paramset_a_and_streebog512_oids(pki, path):
    assert key_params_of(load_cert(pki / path)) == (KEY_2015, [PARAMS_2015, DIGEST_2015])


@pytest.mark.parametrize("path", ["gost2004/root_gost_test.pem", "gost2004/nca_gost_test.pem",
                                  "gost2004/ceo_sign_valid_2022.pem",
                                  "production-2015/root_gost.cer",
                                  "production-2015/nca_gost.cer"])
def test_gost2004_keys_carry_the_kazakh_cryptopro_a_and_gost34311_parameter_oids(pki, path):
    assert key_params_of(load_cert(pki / path)) == (KEY_2004, [PARAMS_2004, DIGEST_PARAMS_2004])


@pytest.mark.parametrize("path", ["gost2004/root_gost_test.pem", "production-2015/root_gost.cer"])
def test_gost2004_keys_are_points_of_cryptopro_a(pki, path):
    key = parse_spki(spki_of(load_cert(pki / path)))
    assert key.curve.name == "id-GostR3410-2001-CryptoPro-A-ParamSet"


# -- CRLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("crl", "issuer"), [
    ("gost2015/nca_gost2022_test.crl", "gost2015/nca_gost2022_test.cer"),
    ("gost2004/nca_gost_test.crl", "gost2004/nca_gost_test.pem"),
])
def test_gost_crl_verifies_with_its_issuer(pki, crl, issuer):
    revocations = load_crl(pki / crl)
    assert verify(spki_of(load_cert(pki / issuer)),
                  revocations.signature_algorithm_oid.dotted_string,
                  revocations.tbs_certlist_bytes, revocations.signature)


@pytest.mark.parametrize(("crl", "issuer"), [
    ("gost2015/nca_gost2022_test.crl", "gost2015/nca_gost2022_test.cer"),
    ("gost2004/nca_gost_test.crl", "gost2004/nca_gost_test.pem"),
])
def test_a_flipped_bit_in_a_crl_fails(pki, crl, issuer):
    revocations = load_crl(pki / crl)
    tbs = revocations.tbs_certlist_bytes
    assert not verify(spki_of(load_cert(pki / issuer)),
                      revocations.signature_algorithm_oid.dotted_string,
                      flipped(tbs, len(tbs) - 10), revocations.signature)


def test_the_gost2004_crl_does_not_verify_with_the_root(pki):
    revocations = load_crl(pki / "gost2004" / "nca_gost_test.crl")
    assert not verify(spki_of(load_cert(pki / "gost2004" / "root_gost_test.pem")),
                      revocations.signature_algorithm_oid.dotted_string,
                      revocations.tbs_certlist_bytes, revocations.signature)


# -- Kalkan CMS -----------------------------------------------------------------------------

def gost_signer(path: Path):
    """(signer_info, signer certificate) of the GOST signer of a Kalkan SignedData."""
    signed = acms.ContentInfo.load(path.read_bytes())["content"]
    certs = [x509.load_der_x509_certificate(choice.chosen.dump())
             for choice in signed["certificates"]]
    for info in signed["signer_infos"]:
        if info["signature_algorithm"]["algorithm"].dotted == SIG_2015:
            serial = info["sid"].chosen["serial_number"].native
            (cert,) = [c for c in certs if c.serial_number == serial]
            return signed, info, cert
    raise AssertionError(f"no GOST signer in {path}")


def signed_attributes(info) -> bytes:
    """The signed attributes as they are hashed: their SET OF form (tag 0x31, not 0xA0)."""
    raw = info["signed_attrs"].dump()
    assert raw[0] == 0xA0
    return b"\x31" + raw[1:]


def message_digest(info) -> bytes:
    for attribute in info["signed_attrs"]:
        if attribute["type"].native == "message_digest":
            return attribute["values"][0].native
    raise AssertionError("no messageDigest attribute")


@pytest.mark.parametrize("name", ["attached_two_signers.p7s", "detached_two_signers.p7s"])
def test_kalkan_cms_gost_signer_uses_the_signature_oid_and_streebog512(pki, name):
    _, info, cert = gost_signer(pki / "cms-kalkan" / name)
    assert info["digest_algorithm"]["algorithm"].dotted == DIGEST_2015
    assert info["signature_algorithm"]["algorithm"].dotted == SIG_2015
    assert key_params_of(cert)[0] == KEY_2015


def test_kalkan_attached_cms_message_digest_is_streebog512_of_the_content(pki):
    signed, info, _ = gost_signer(pki / "cms-kalkan" / "attached_two_signers.p7s")
    content = signed["encap_content_info"]["content"].native
    assert content == b"test123"
    assert message_digest(info) == streebog512(content)


def test_kalkan_detached_cms_message_digest_is_streebog512_of_content_txt(pki):
    _, info, _ = gost_signer(pki / "cms-kalkan" / "detached_two_signers.p7s")
    content = (pki / "cms-kalkan" / "content.txt").read_bytes()
    assert message_digest(info) == streebog512(content)


@pytest.mark.parametrize("name", ["attached_two_signers.p7s", "detached_two_signers.p7s"])
def test_kalkan_cms_gost_signature_over_the_signed_attributes_verifies(pki, name):
    _, info, cert = gost_signer(pki / "cms-kalkan" / name)
    assert verify(spki_of(cert), info["signature_algorithm"]["algorithm"].dotted,
                  signed_attributes(info), info["signature"].native,
                  digest_oid=info["digest_algorithm"]["algorithm"].dotted)


def test_kalkan_cms_gost_signature_fails_over_the_a0_tagged_attributes(pki):
    _, info, cert = gost_signer(pki / "cms-kalkan" / "attached_two_signers.p7s")
    assert not verify(spki_of(cert), SIG_2015, info["signed_attrs"].dump(),
                      info["signature"].native)


def test_kalkan_cms_gost_signature_fails_over_altered_attributes(pki):
    _, info, cert = gost_signer(pki / "cms-kalkan" / "attached_two_signers.p7s")
    attributes = signed_attributes(info)
    assert not verify(spki_of(cert), SIG_2015, flipped(attributes, len(attributes) - 1),
                      info["signature"].native)


def test_kalkan_cms_signer_certificate_verifies_against_the_2022_test_intermediate(pki):
    _, _, cert = gost_signer(pki / "cms-kalkan" / "attached_two_signers.p7s")
    assert check(cert, load_cert(pki / "gost2015" / "nca_gost2022_test.cer"))
