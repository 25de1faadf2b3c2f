"""Verification of one ЭЦП-signed CMS, in the order DESIGN.md gives.

Pure: no AWS, no Chalice, no clock of its own (the caller says "as of when"). The result names
the signer by IIN, the only identity the service uses; certificate and signature bytes are
kept for evidence only.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

from chalicelib.verify import algorithms
from chalicelib.verify.certificate import Certificate, CertificateError
from chalicelib.verify.cms import ID_DATA, MalformedCms, SignedData, Signer, parse_signed_data
from chalicelib.verify.failures import (
    CERTIFICATE_NOT_FOR_SIGNING,
    INVALID_SIGNATURE,
    MALFORMED,
    NOT_AN_INDIVIDUAL,
    UNTRUSTED_CERTIFICATE,
    VerificationError,
)
from chalicelib.verify.revocation import RevocationCheck, RevocationStore
from chalicelib.verify.trust import TrustStore

MAX_CERTIFICATES = 10  # NCALayer sends the signer's certificate, sometimes with its chain


@dataclass(frozen=True)
class VerifiedSignature:
    content: bytes
    iin: str
    certificate_serial: str
    certificate_issuer: str
    algorithm: str
    certificate: Certificate


class SignatureVerifier:
    def __init__(self, trust: TrustStore, revocation: RevocationCheck | None = None) -> None:
        self.trust = trust
        self.revocation = revocation or RevocationStore()

    def verify(self, cms_der: bytes, at: datetime, detached_content: bytes | None = None) -> VerifiedSignature:
        """Verify a citizen's signed ballot as of `at` (timezone-aware): everything
        `verify_signer` checks, then a SIGN key of an individual with an IIN. Raises `VerificationError`
        with the code for the first check that fails."""
        verified = self.verify_signer(cms_der, at, detached_content)
        certificate = verified.certificate
        if not certificate.is_signing_key:
            raise VerificationError(CERTIFICATE_NOT_FOR_SIGNING, "not a SIGN key")
        if not certificate.is_individual:
            raise VerificationError(NOT_AN_INDIVIDUAL, "legal-entity certificate")
        if not verified.iin:
            raise VerificationError(NOT_AN_INDIVIDUAL, "no IIN in the subject")
        return verified

    def verify_signer(
        self, cms_der: bytes, at: datetime, detached_content: bytes | None = None
    ) -> VerifiedSignature:
        """The signature, the path to a trust anchor and revocation, for any NCA key (an admin
        may sign in with an AUTH key). `iin` is empty when the subject carries none."""
        signed = _parse(cms_der)
        if len(signed.signers) != 1:
            raise VerificationError(MALFORMED, f"{len(signed.signers)} signers, exactly one expected")
        return self._verify_one(signed, signed.signers[0], at, detached_content)

    def verify_every_signer(
        self, cms_der: bytes, at: datetime, detached_content: bytes | None = None
    ) -> list[VerifiedSignature | VerificationError]:
        """Each signer of a co-signed CMS (as Kalkan makes them), checked as `verify_signer`
        checks one: the outcome per signer, in order. Raises only if the CMS itself is unreadable."""
        signed = _parse(cms_der)
        outcomes: list[VerifiedSignature | VerificationError] = []
        for signer in signed.signers:
            try:
                outcomes.append(self._verify_one(signed, signer, at, detached_content))
            except VerificationError as error:
                outcomes.append(error)
        return outcomes

    def _verify_one(
        self, signed: SignedData, signer: Signer, at: datetime, detached_content: bytes | None
    ) -> VerifiedSignature:
        if at.tzinfo is None:
            raise ValueError("verification time must be timezone-aware")
        content = _content(signed.content, detached_content)
        certificates = _certificates(signed.certificates)
        certificate = _signer_certificate(signer, certificates)

        _check_digest(signer, content)
        _check_signature(signer, certificate)

        path = self.trust.path(certificate, certificates, at)
        self.revocation.check_path(path, at)
        return VerifiedSignature(
            content=content,
            iin=certificate.iin or "",
            certificate_serial=certificate.serial_hex,
            certificate_issuer=certificate.issuer_text,
            algorithm=algorithms.name(signer.signature_oid, signer.digest_oid),
            certificate=certificate,
        )


def _parse(cms_der: bytes) -> SignedData:
    try:
        signed = parse_signed_data(cms_der)
    except MalformedCms as error:
        raise VerificationError(MALFORMED, str(error)) from None
    if not signed.signers:
        raise VerificationError(MALFORMED, "no signer")
    return signed


def _content(attached: bytes | None, detached: bytes | None) -> bytes:
    if attached is not None and detached is not None:
        raise VerificationError(MALFORMED, "content both attached and detached")
    content = attached if attached is not None else detached
    if content is None:
        raise VerificationError(MALFORMED, "no signed content")
    return content


def _certificates(encoded: tuple[bytes, ...]) -> list[Certificate]:
    if len(encoded) > MAX_CERTIFICATES:
        raise VerificationError(MALFORMED, "too many certificates")
    try:
        return [Certificate(der) for der in encoded]
    except CertificateError as error:
        raise VerificationError(MALFORMED, str(error)) from None


def _signer_certificate(signer: Signer, certificates: list[Certificate]) -> Certificate:
    for certificate in certificates:
        if signer.serial is not None:
            if certificate.serial == signer.serial and certificate.issuer_der == signer.issuer_der:
                return certificate
        elif signer.key_identifier is not None and _key_identifier(certificate) == signer.key_identifier:
            return certificate
    raise VerificationError(UNTRUSTED_CERTIFICATE, "the signer's certificate is not in the CMS")


def _key_identifier(certificate: Certificate) -> bytes | None:
    from cryptography import x509

    try:
        return certificate.x509.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return None


def _check_digest(signer: Signer, content: bytes) -> None:
    if signer.signed_attributes is None or signer.message_digest is None:
        raise VerificationError(INVALID_SIGNATURE, "no signed attributes with a messageDigest")
    if signer.content_type_attribute != ID_DATA:
        raise VerificationError(INVALID_SIGNATURE, "the contentType signed attribute is not id-data")
    try:
        expected = algorithms.digest(signer.digest_oid, content)
    except algorithms.UnsupportedAlgorithm as error:
        raise VerificationError(INVALID_SIGNATURE, str(error)) from None
    if not hmac.compare_digest(expected, signer.message_digest):
        raise VerificationError(INVALID_SIGNATURE, "messageDigest does not match the content")


def _check_signature(signer: Signer, certificate: Certificate) -> None:
    key = algorithms.PublicKey(certificate.spki_der, certificate.public_key_oid)
    assert signer.signed_attributes is not None  # checked by _check_digest
    try:
        valid = algorithms.verify(
            key, signer.signature_oid, signer.signed_attributes, signer.signature, digest_oid=signer.digest_oid
        )
    except algorithms.UnsupportedAlgorithm as error:
        raise VerificationError(INVALID_SIGNATURE, str(error)) from None
    except algorithms.MalformedKey as error:
        raise VerificationError(INVALID_SIGNATURE, str(error)) from None
    if not valid:
        raise VerificationError(INVALID_SIGNATURE, "the signature does not verify with the signer's key")
