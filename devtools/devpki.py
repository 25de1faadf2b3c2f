"""A development PKI shaped like the NCA's: CAs, citizens' and legal entities' keys, CMS signing.

For tests, the local stack (`manage.py dev-pki`, the NCALayer stand-in) and the load tool. It is
never used to verify anything: verification lives in `signature` and `trust`.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import algos, cms, core
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from chalicelib.verify.certificate import EKU_INDIVIDUAL, Certificate
from chalicelib.verify.crl_refresh import held_indexes_from_crls
from chalicelib.verify.revocation import Revocation
from chalicelib.verify.trust import TrustStore

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

EKU_LEGAL_ENTITY = "1.2.398.3.3.4.1.2"
EKU_CEO = "1.2.398.3.3.4.1.2.1"
POLICY_INDIVIDUAL_SIGN = "1.2.398.3.3.2.3"

SigningHash = hashes.SHA1 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512
_HASHES: dict[str, type[SigningHash]] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256, "sha384": hashes.SHA384,
                                        "sha512": hashes.SHA512}


@dataclass(frozen=True)
class Issued:
    """A certificate with its private key."""

    certificate: x509.Certificate
    key: PrivateKey

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )


def new_key(kind: str = "rsa") -> PrivateKey:
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    if kind == "ec256":
        return ec.generate_private_key(ec.SECP256R1())
    if kind == "ec384":
        return ec.generate_private_key(ec.SECP384R1())
    raise ValueError(f"unknown key kind {kind!r}")


def _window(not_before: datetime | None, days: int) -> tuple[datetime, datetime]:
    start = not_before or datetime.now(UTC) - timedelta(days=1)
    return start, start + timedelta(days=days)


def issue_ca(
    common_name: str,
    *,
    issuer: Issued | None = None,
    key: PrivateKey | None = None,
    not_before: datetime | None = None,
    days: int = 3650,
    path_length: int | None = None,
    ca: bool = True,
    name: x509.Name | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
    crl_sign: bool = True,
) -> Issued:
    """A CA certificate; self-signed when `issuer` is None. `ca=False` makes a certificate that
    looks like a CA by name only (for tests of a non-CA issuer); `name` replaces the subject
    `CN=common_name, C=KZ`; `extensions` adds (extension, critical) pairs; `crl_sign=False` leaves
    cRLSign out of its keyUsage."""
    key = key or new_key("rsa")
    name = name if name is not None else x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
    ])
    start, end = _window(not_before, days)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.certificate.subject if issuer else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=crl_sign,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return Issued(builder.sign(signer_key, _signing_hash(signer_key)), key)


def issue_person(
    issuer: Issued,
    iin: str,
    *,
    surname: str = "ТЕСТОВ",
    given_name: str = "ТЕСТ",
    patronymic: str = "ТЕСТОВИЧ",
    role: str = "individual",
    usage: str = "sign",
    key: PrivateKey | None = None,
    key_kind: str = "rsa",
    not_before: datetime | None = None,
    days: int = 365,
    serial: int | None = None,
    ca: bool = False,
    key_cert_sign: bool | None = None,
    extensions: tuple[tuple[x509.ExtensionType, bool], ...] = (),
) -> Issued:
    """A citizen's (or a legal entity's) certificate with the NCA profile: serialNumber=IIN…,
    the role in the EKU, SIGN or AUTH key usage. For tests of refusals: `key_cert_sign`
    overrides that bit (by default it follows `ca`), `extensions` adds (extension, critical)
    pairs, and an `iin` that is not 12 ASCII digits is written as a UTF8String."""
    key = key or new_key(key_kind)
    serial_number = (x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}") if iin.isascii() else
                     x509.NameAttribute(NameOID.SERIAL_NUMBER, f"IIN{iin}", _type=_ASN1Type.UTF8String))
    attributes = [
        x509.NameAttribute(NameOID.COMMON_NAME, f"{surname} {given_name}"),
        x509.NameAttribute(NameOID.SURNAME, surname),
        serial_number,
        x509.NameAttribute(NameOID.COUNTRY_NAME, "KZ"),
        x509.NameAttribute(NameOID.GIVEN_NAME, patronymic),
    ]
    usages = [ExtendedKeyUsageOID.EMAIL_PROTECTION if usage == "sign" else ExtendedKeyUsageOID.CLIENT_AUTH]
    if role == "individual":
        usages.append(ObjectIdentifier(EKU_INDIVIDUAL))
    else:
        attributes += [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, 'АО "ТЕСТ"'),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "BIN123456789021"),
        ]
        usages += [ObjectIdentifier(EKU_LEGAL_ENTITY), ObjectIdentifier(EKU_CEO)]
    start, end = _window(not_before, days)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attributes))
        .issuer_name(issuer.certificate.subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=usage == "sign",
                key_encipherment=usage != "sign", data_encipherment=False, key_agreement=False,
                key_cert_sign=ca if key_cert_sign is None else key_cert_sign, crl_sign=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier(POLICY_INDIVIDUAL_SIGN), None)]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return Issued(builder.sign(issuer.key, _signing_hash(issuer.key)), key)


@dataclass(frozen=True)
class CrlSigner:
    """Who signs a CRL: the issuer's name (DER), its key identifier, the signature algorithm and
    how to sign. `crl_signer` makes one for an RSA or ECDSA key; `gost_keys.GostCa` for a GOST key."""

    issuer_name: bytes
    key_identifier: bytes | None
    signature_oid: str
    sign: Callable[[bytes], bytes]
    null_parameters: bool  # what this algorithm's AlgorithmIdentifier carries by default


def crl_signer(issuer: Issued) -> CrlSigner:
    key = issuer.key
    identifier = issuer.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    name = issuer.certificate.subject.public_bytes()
    if isinstance(key, rsa.RSAPrivateKey):
        return CrlSigner(name, identifier, "1.2.840.113549.1.1.11",
                         lambda tbs: key.sign(tbs, padding.PKCS1v15(), hashes.SHA256()), True)
    chosen = _signing_hash(key)
    oid = "1.2.840.10045.4.3.3" if isinstance(chosen, hashes.SHA384) else "1.2.840.10045.4.3.2"
    return CrlSigner(name, identifier, oid, lambda tbs: key.sign(tbs, ec.ECDSA(chosen)), False)


REASONS = {"keyCompromise": 1, "superseded": 4, "certificateHold": 6, "removeFromCRL": 8}
Extension = tuple[str, bool, bytes]  # (OID, critical, the extnValue's content)


def issue_crl(
    issuer: Issued | CrlSigner,
    revoked: dict[int, datetime] | list[tuple[int, datetime]],
    *,
    this_update: datetime | None = None,
    next_update: datetime | None = None,
    number: int | None = None,
    delta_base: int | None = None,
    reasons: dict[int, int] | None = None,
    inner_null: bool | None = None,
    outer_null: bool | None = None,
    without_next_update: bool = False,
    extensions: tuple[Extension, ...] = (),
    entry_extensions: dict[int, tuple[Extension, ...]] | None = None,
    pem: bool = False,
) -> bytes:
    """A CRL signed by `issuer` listing serial → revocation time (DER, or PEM; a list of pairs may
    list a serial twice), written out here
    so that tests can make every form real CAs publish: `number` (cRLNumber), `delta_base` (a delta
    CRL extending base CRL number `delta_base`), `reasons` (serial → CRLReason, e.g.
    REASONS["removeFromCRL"]), the NULL parameters of the signature AlgorithmIdentifier inside and
    outside tbsCertList chosen separately (the NCA's quirk: `inner_null=False, outer_null=True`),
    and any other CRL or entry extension. Fast enough for a million entries."""
    signer = issuer if isinstance(issuer, CrlSigner) else crl_signer(issuer)
    start = this_update or datetime.now(UTC) - timedelta(hours=1)
    end = next_update or start + timedelta(days=7)
    inner = _algorithm(signer.signature_oid, signer.null_parameters if inner_null is None else inner_null)
    outer = _algorithm(signer.signature_oid, signer.null_parameters if outer_null is None else outer_null)
    listed = _revoked_certificates(revoked, reasons or {}, entry_extensions or {})
    crl_extensions = [(AUTHORITY_KEY_IDENTIFIER, False, der_element(0x30, der_element(0x80, signer.key_identifier)))
                      ] if signer.key_identifier else []
    if number is not None:
        crl_extensions.append(("2.5.29.20", False, _integer(number)))
    if delta_base is not None:
        crl_extensions.append(("2.5.29.27", True, _integer(delta_base)))
    crl_extensions += extensions
    tbs = der_element(0x30, b"".join([
        _integer(1), inner, signer.issuer_name, _time(start),
        b"" if without_next_update else _time(end),
        der_element(0x30, listed) if listed else b"",
        der_element(0xA0, der_element(0x30, _extensions(crl_extensions))) if crl_extensions else b"",
    ]))
    crl = der_element(0x30, tbs + outer + der_element(0x03, b"\x00" + signer.sign(tbs)))
    if not pem:
        return crl
    body = base64.encodebytes(crl).replace(b"\n", b"")
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN X509 CRL-----\n" + lines + b"\n-----END X509 CRL-----\n"


AUTHORITY_KEY_IDENTIFIER = "2.5.29.35"


def revocation_from_crls(crls: list[bytes], crl_trust: TrustStore, now: datetime | None = None,
                         **options: Any) -> Revocation:
    """Revocation as the vote path checks it: `crls` refreshed into indexes in this process (the
    refresher's code, `crl_trust` verifying them), read back by `Revocation` (`options`: its
    tolerance, optional, alarm). For tests, the load tool and the benchmarks."""
    held, _ = held_indexes_from_crls([(f"crl-{n}.crl", crl) for n, crl in enumerate(crls)], crl_trust,
                                     now or datetime.now(UTC))
    return Revocation(held, **options)


def current_revocation(*cas: Issued, now: datetime | None = None) -> Revocation:
    """Revocation over an empty, current CRL of each CA: for verifiers whose subject is not revocation."""
    moment = now or datetime.now(UTC)
    crls = [issue_crl(ca, {}, this_update=moment - timedelta(days=1), next_update=moment + timedelta(days=400))
            for ca in cas]
    return revocation_from_crls(crls, TrustStore([Certificate(ca.der) for ca in cas]), moment)


def der_element(tag: int, content: bytes) -> bytes:
    """One DER element (definite, minimal length)."""
    length = len(content)
    if length < 0x80:
        return bytes((tag, length)) + content
    size = (length.bit_length() + 7) // 8
    return bytes((tag, 0x80 | size)) + length.to_bytes(size, "big") + content


def _algorithm(oid: str, null: bool) -> bytes:
    return der_element(0x30, core.ObjectIdentifier(oid).dump() + (b"\x05\x00" if null else b""))


def _integer(value: int) -> bytes:
    return der_element(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big", signed=True))


_TIMES: dict[datetime, bytes] = {}


def _time(moment: datetime) -> bytes:
    known = _TIMES.get(moment)
    if known is None:
        utc = moment.astimezone(UTC)
        known = (der_element(0x17, utc.strftime("%y%m%d%H%M%SZ").encode()) if 1950 <= utc.year < 2050 else
                 der_element(0x18, utc.strftime("%Y%m%d%H%M%SZ").encode()))
        if len(_TIMES) < 100_000:
            _TIMES[moment] = known
    return known


def _extensions(extensions: list[Extension] | tuple[Extension, ...]) -> bytes:
    return b"".join(der_element(0x30, core.ObjectIdentifier(oid).dump() + (b"\x01\x01\xff" if critical else b"")
                                + der_element(0x04, value)) for oid, critical, value in extensions)


def _revoked_certificates(revoked: dict[int, datetime] | list[tuple[int, datetime]], reasons: dict[int, int],
                          entry_extensions: dict[int, tuple[Extension, ...]]) -> bytes:
    reason_codes = {code: _extensions([("2.5.29.21", False, der_element(0x0A, bytes((code,))))])
                    for code in set(reasons.values())}
    parts = []
    for serial, when in revoked.items() if isinstance(revoked, dict) else revoked:
        extra = reason_codes.get(reasons.get(serial, -1), b"")
        if serial in entry_extensions:
            extra += _extensions(entry_extensions[serial])
        parts.append(der_element(0x30, _integer(serial) + _time(when) + (der_element(0x30, extra) if extra else b"")))
    return b"".join(parts)


def _signing_hash(key: PrivateKey) -> hashes.SHA256 | hashes.SHA384:
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size > 256:
        return hashes.SHA384()
    return hashes.SHA256()


def sign_cms(
    content: bytes,
    signer: Issued,
    *,
    chain: tuple[Issued, ...] = (),
    detached: bool = False,
    digest: str = "sha256",
    rsa_signature_oid: str = "sha256_rsa",
    message_digest: bytes | None = None,
    extra_signers: tuple[Issued, ...] = (),
    signing_time: datetime | None = None,
) -> bytes:
    """A DER CMS SignedData over `content`, as NCALayer makes it: signed attributes with
    contentType, signingTime and messageDigest; the signer's certificate (and `chain`) included.

    `rsa_signature_oid` may be 'rsassa_pkcs1v15' (plain rsaEncryption, hash from the
    digestAlgorithm), as some signers write it. `message_digest` overrides the attribute, for
    tests of a wrong digest."""
    digest_value = message_digest if message_digest is not None else hashlib.new(digest, content).digest()
    signers = (signer, *extra_signers)
    infos = [
        _signer_info(one, digest, digest_value, rsa_signature_oid, signing_time or datetime.now(UTC))
        for one in signers
    ]
    certificates = []
    for issued in (*signers, *chain):
        certificates.append(cms.CertificateChoices(name="certificate", value=asn1_x509.Certificate.load(issued.der)))
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [algos.DigestAlgorithm({"algorithm": digest})],
        "encap_content_info": {"content_type": "data", "content": None if detached else content},
        "certificates": certificates,
        "signer_infos": infos,
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


def _signer_info(
    signer: Issued, digest: str, digest_value: bytes, rsa_signature_oid: str, signing_time: datetime
) -> cms.SignerInfo:
    attributes = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": signing_time})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [digest_value]}),
    ])
    to_sign = attributes.dump()
    hash_algorithm = _HASHES[digest]()
    if isinstance(signer.key, rsa.RSAPrivateKey):
        signature = signer.key.sign(to_sign, padding.PKCS1v15(), hash_algorithm)
        signature_algorithm = rsa_signature_oid if rsa_signature_oid == "rsassa_pkcs1v15" else f"{digest}_rsa"
    else:
        signature = signer.key.sign(to_sign, ec.ECDSA(hash_algorithm))
        signature_algorithm = f"{digest}_ecdsa"
    certificate = asn1_x509.Certificate.load(signer.der)
    return cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({
            "issuer_and_serial_number": {
                "issuer": certificate.issuer,
                "serial_number": certificate.serial_number,
            }
        }),
        "digest_algorithm": {"algorithm": digest},
        "signed_attrs": attributes,
        "signature_algorithm": {"algorithm": signature_algorithm},
        "signature": signature,
    })
