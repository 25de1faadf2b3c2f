"""A development PKI shaped like the NCA's: CAs, citizens' and legal entities' keys, CMS signing.

For tests, the local stack (`manage.py dev-pki`, the NCALayer stand-in) and the load tool. It is
never used to verify anything: verification lives in `signature` and `trust`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from asn1crypto import algos, cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from chalicelib.verify.certificate import EKU_INDIVIDUAL

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
) -> Issued:
    """A CA certificate; self-signed when `issuer` is None. `ca=False` makes a certificate that
    looks like a CA by name only (for tests of a non-CA issuer); `name` replaces the subject
    `CN=common_name, C=KZ`; `extensions` adds (extension, critical) pairs."""
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
                data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
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


def issue_crl(
    issuer: Issued,
    revoked: dict[int, datetime],
    *,
    this_update: datetime | None = None,
    next_update: datetime | None = None,
    number: int | None = None,
    delta_base: int | None = None,
) -> bytes:
    """A DER CRL signed by `issuer` listing serial → revocation time; with `delta_base`, a delta
    CRL extending base CRL number `delta_base`."""
    start = this_update or datetime.now(UTC) - timedelta(hours=1)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(start)
        .next_update(next_update or start + timedelta(days=7))
    )
    if number is not None:
        builder = builder.add_extension(x509.CRLNumber(number), critical=False)
    if delta_base is not None:
        builder = builder.add_extension(x509.DeltaCRLIndicator(delta_base), critical=True)
    for serial, when in revoked.items():
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(when).build()
        )
    return builder.sign(issuer.key, _signing_hash(issuer.key)).public_bytes(serialization.Encoding.DER)


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
