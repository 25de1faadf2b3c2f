"""The CMS reader on what real signers send: DER, BER with indefinite lengths and chunked
content, zero bytes after the end, PEM armour; and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from chalicelib.verify import der
from chalicelib.verify.cms import MalformedCms, parse_signed_data, unarmour
from chalicelib.verify.failures import VerificationError
from tests.conftest import NOW

BALLOT = b'{"v": 1, "contest": "c", "nominee": "n", "challenge": "t"}'
IN_2021 = datetime(2021, 6, 1, tzinfo=UTC)


def tlv(tag: int, content: bytes) -> bytes:
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(encoded)]) + encoded + content


def indefinite(tag: int, *parts: bytes) -> bytes:
    return bytes([tag, 0x80]) + b"".join(parts) + b"\x00\x00"


def to_ber(cms: bytes, chunk: int = 16) -> bytes:
    """The same CMS as a streaming BER encoder writes it: indefinite lengths on every outer
    structure and the content in chunks of `chunk` bytes."""
    _, start, stop = der.element(cms, 0, len(cms))
    (_, oid_start, oid_stop), (_, content_start, content_stop) = der.children(cms, start, stop)
    _, signed_start, signed_stop = der.element(cms, content_start, content_stop)
    fields = []
    for tag, field_start, field_stop in der.children(cms, signed_start, signed_stop):
        whole = cms[field_start - (field_stop - field_start).bit_length() // 8 - 2:field_stop] \
            if field_stop - field_start >= 0x80 else cms[field_start - 2:field_stop]
        if tag == 0x30:  # encapContentInfo: its content in chunks
            parts = der.children(cms, field_start, field_stop)
            type_oid = cms[parts[0][1] - 2:parts[0][2]]
            inner = [] if len(parts) == 1 else der.children(cms, parts[1][1], parts[1][2])
            chunks = b""
            if inner:
                content = cms[inner[0][1]:inner[0][2]]
                chunks = indefinite(0xA0, indefinite(0x24, *(tlv(0x04, content[i:i + chunk])
                                                             for i in range(0, len(content), chunk))))
            fields.append(indefinite(0x30, type_oid, chunks))
        elif tag in (0xA0, 0x31):  # certificates, signerInfos
            fields.append(indefinite(tag, cms[field_start:field_stop]))
        else:
            fields.append(whole)
    return indefinite(0x30, cms[oid_start - 2:oid_stop], indefinite(0xA0, indefinite(0x30, *fields)))


def test_a_ber_cms_with_indefinite_lengths_and_chunked_content_is_accepted(pki):
    cms = to_ber(pki.sign(BALLOT, pki.voter("900101300201")))
    assert cms[1] == 0x80
    result = pki.verifier().verify(cms, NOW)
    assert (result.iin, result.content) == ("900101300201", BALLOT)


def test_kalkan_cms_reencoded_as_ber_still_verifies(nca):
    from chalicelib.verify.signature import SignatureVerifier
    from chalicelib.verify.trust import TrustStore
    from tests.conftest import nca_revocation
    from tests.verify.test_signature_nca import certificates

    trust = TrustStore(certificates(nca / "rsa", "root_rsa_test.pem", "nca_rsa_test.pem"))
    cms = to_ber((nca / "cms-kalkan" / "attached_one_signer.p7s").read_bytes(), chunk=3)
    assert SignatureVerifier(trust, nca_revocation(nca, trust)).verify(cms, IN_2021).content == b"test123"


@pytest.mark.parametrize("zeros", [1, 2, 16])
def test_zero_bytes_after_the_cms_are_accepted_as_kalkan_appends_them(pki, zeros):
    cms = pki.sign(BALLOT, pki.voter("900101300202")) + b"\x00" * zeros
    assert pki.verifier().verify(cms, NOW).iin == "900101300202"


@pytest.mark.parametrize("tail", [b"\x01", b"\x00\x05", b"\x30\x00"])
def test_any_other_bytes_after_the_cms_are_malformed(pki, tail):
    with pytest.raises(VerificationError) as caught:
        pki.verifier().verify(pki.sign(BALLOT, pki.voter("900101300202")) + tail, NOW)
    assert caught.value.code == "malformed"


def test_a_signer_info_in_ber_is_refused(pki):
    # Inside a SignerInfo nothing may be read two ways: only the set around it may be BER.
    ber = to_ber(pki.sign(BALLOT, pki.voter("900101300203")))
    at = ber.index(b"\x31\x80\x30\x82") + 2
    length = int.from_bytes(ber[at + 2:at + 4], "big")
    signer_info = ber[at + 4:at + 4 + length]
    indefinite_signer = ber[:at] + b"\x30\x80" + signer_info + b"\x00\x00" + ber[at + 4 + length:]
    assert parse_signed_data(ber).signers
    with pytest.raises(MalformedCms):
        parse_signed_data(indefinite_signer)


def test_pem_armour_as_kalkan_writes_it_gives_the_base64_inside():
    text = "-----BEGIN CMS-----\nMIIBAA==\n-----END CMS-----\n"
    assert unarmour(text).split() == ["MIIBAA=="]
    assert unarmour("MIIBAA==") == "MIIBAA=="


TWO_BLOCKS = "-----BEGIN CMS-----\nMA==\n-----END CMS-----\n" * 2


@pytest.mark.parametrize("text", ["-----BEGIN CERTIFICATE-----\nMA==\n-----END CERTIFICATE-----",
                                  "-----BEGIN CMS-----\nMA==\n-----END PKCS7-----", TWO_BLOCKS])
def test_other_armour_is_malformed(text):
    with pytest.raises(MalformedCms):
        unarmour(text)


def signed_by_key_identifier(cms: bytes, key_identifier: bytes) -> bytes:
    """The same CMS with its signer named by subjectKeyIdentifier (SignerInfo v3, sid [0]) instead
    of issuer and serial; the signature covers the signed attributes only, so it still holds."""
    _, start, stop = der.element(cms, 0, len(cms))
    (_, oid_start, oid_stop), (_, content_start, content_stop) = der.children(cms, start, stop)
    _, signed_start, signed_stop = der.element(cms, content_start, content_stop)
    fields = der.children(cms, signed_start, signed_stop)
    (_, info_start, info_stop), = der.children(cms, fields[-1][1], fields[-1][2])
    parts = [cms[der.element_start(s, e):e] for _, s, e in der.children(cms, info_start, info_stop)]
    info = tlv(0x30, tlv(0x02, b"\x03") + tlv(0x80, key_identifier) + b"".join(parts[2:]))
    kept = b"".join(cms[der.element_start(s, e):e] for _, s, e in fields[:-1])
    signed = tlv(0x30, kept + tlv(0x31, info))
    return tlv(0x30, cms[oid_start - 2:oid_stop] + tlv(0xA0, signed))


def test_a_signer_named_by_its_key_identifier_is_found_and_verified(pki):
    from chalicelib.verify.certificate import Certificate

    voter = pki.voter("900101300204")
    key_identifier = Certificate(voter.der).key_identifier
    cms = signed_by_key_identifier(pki.sign(BALLOT, voter), key_identifier)
    assert parse_signed_data(cms).signers[0].key_identifier == key_identifier
    assert pki.verifier().verify(cms, NOW).iin == "900101300204"


def test_a_key_identifier_no_certificate_carries_is_untrusted(pki):
    cms = signed_by_key_identifier(pki.sign(BALLOT, pki.voter("900101300205")), b"\x01" * 20)
    with pytest.raises(VerificationError) as caught:
        pki.verifier().verify(cms, NOW)
    assert caught.value.code == "untrusted_certificate"
