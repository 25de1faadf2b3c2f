"""Verification of one ЭЦП-signed CMS: the policy's named steps, cheapest first.

1. shape — the CMS read within the policy's sizes (`cms`), exactly one signer, the content
   (at most `max_content_bytes`, before anything hashes it), the certificates, the signer's;
2. algorithms — digest and signature algorithms permitted, the signer's key in profile (RSA
   modulus and exponent, curve, GOST parameters), all before any public-key operation;
3. path — RFC 5280's rules on the signer's certificate, then a path to a trust anchor pruned by
   names and key identifiers, with validity inside the search (`trust`), within the budget;
4. digest — messageDigest = hash(content);
5. signature — the signer's signature over the signed attributes;
6. revocation; 7. profile — the end-entity profile asked for (`policy.VOTER`, `policy.ADMIN`).

Pure: no AWS, no Chalice, no clock of its own (the caller says "as of when"). The result names the
signer by IIN, the only identity the service uses. Each verification leaves a `trace` (the step
that decided, milliseconds per step) for the request's log line.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import NamedTuple

from chalicelib.verify import algorithms, trace
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
from chalicelib.verify.policy import (
    ADMIN,
    ALGORITHMS,
    DIGEST,
    NCA,
    PATH,
    PROFILE,
    REVOCATION,
    SHAPE,
    SIGNATURE,
    VOTER,
    EndEntityProfile,
    Policy,
)
from chalicelib.verify.revocation import RevocationCheck
from chalicelib.verify.trust import Budget, TrustStore


class VerifiedSignature(NamedTuple):
    content: bytes
    iin: str
    certificate_serial: str
    certificate_issuer: str
    algorithm: str
    certificate: Certificate


class SignatureVerifier:
    def __init__(self, trust: TrustStore, revocation: RevocationCheck, rules: Policy = NCA) -> None:
        # No default: a verifier without revocation would accept revoked keys (the caller says
        # where CRLs come from, `revocation.Revocation`, and so what happens without one).
        self.trust = trust
        self.revocation = revocation
        self.rules = rules
        self._known_cas: dict[bytes, Certificate] = {}  # CA certificates a CMS carries recur on every vote

    def verify(self, cms_der: bytes, at: datetime, detached_content: bytes | None = None,
               profile: EndEntityProfile = VOTER) -> VerifiedSignature:
        """Verify a CMS with exactly one signer as of `at` (timezone-aware) for `profile` (a
        citizen's ballot by default; `ADMIN` for the commission's sign-in). Raises
        `VerificationError` with the code of the first step that refuses. `iin` is empty when
        the profile needs none and the subject carries none."""
        if at.tzinfo is None:
            raise ValueError("verification time must be timezone-aware")
        steps = trace.start(SHAPE)
        try:
            signed = self._parse(cms_der)
            if len(signed.signers) != 1:
                raise VerificationError(MALFORMED, f"{len(signed.signers)} signers, exactly one expected")
            verified = self._verify_one(signed, signed.signers[0], at, detached_content, profile, steps)
        except VerificationError:
            steps.finish(accepted=False)
            raise
        steps.finish(accepted=True)
        return verified

    def verify_every_signer(
        self, cms_der: bytes, at: datetime, detached_content: bytes | None = None, profile: EndEntityProfile = ADMIN
    ) -> list[VerifiedSignature | VerificationError]:
        """Each signer of a co-signed CMS (as Kalkan makes them), checked as `verify` checks one:
        the outcome per signer, in order. Raises only if the CMS itself is unreadable."""
        if at.tzinfo is None:
            raise ValueError("verification time must be timezone-aware")
        signed = self._parse(cms_der)
        outcomes: list[VerifiedSignature | VerificationError] = []
        for signer in signed.signers:
            try:
                outcomes.append(self._verify_one(signed, signer, at, detached_content, profile, trace.start(SHAPE)))
            except VerificationError as error:
                outcomes.append(error)
        return outcomes

    def _parse(self, cms_der: bytes) -> SignedData:
        if len(cms_der) > self.rules.max_cms_bytes:
            raise VerificationError(MALFORMED, "CMS larger than the policy allows")
        try:
            signed = parse_signed_data(cms_der)
        except MalformedCms as error:
            raise VerificationError(MALFORMED, str(error)) from None
        if not signed.signers:
            raise VerificationError(MALFORMED, "no signer")
        return signed

    def _verify_one(self, signed: SignedData, signer: Signer, at: datetime, detached_content: bytes | None,
                    profile: EndEntityProfile, steps: trace.Trace) -> VerifiedSignature:
        rules = self.rules
        content = _content(signed.content, detached_content, rules)
        certificates = self._certificates(signed.certificates)
        certificate = _signer_certificate(signer, certificates)
        attributes = _signed_attributes(signer, rules)

        steps.step(ALGORITHMS)
        try:
            algorithms.check_algorithms(signer.signature_oid, certificate.public_key_oid, signer.digest_oid, rules)
            algorithms.check_key(certificate.spki_der, rules)
        except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey) as error:
            raise VerificationError(INVALID_SIGNATURE, str(error)) from None
        algorithm = algorithms.name(signer.signature_oid, signer.digest_oid)
        steps.algorithm = algorithm

        steps.step(PATH)
        budget = Budget(rules.max_signature_checks)
        try:
            path = self.trust.path(certificate, certificates, at, budget, rules)
        finally:
            steps.signature_checks = budget.spent

        steps.step(DIGEST)
        _check_digest(signer, content)

        steps.step(SIGNATURE)
        budget.spend()
        steps.signature_checks = budget.spent
        _check_signature(signer, attributes, certificate)

        steps.step(REVOCATION)
        self.revocation.check_path(path, at)

        steps.step(PROFILE)
        _check_profile(certificate, profile)
        return VerifiedSignature(
            content=content,
            iin=certificate.iin or "",
            certificate_serial=certificate.serial_hex,
            certificate_issuer=certificate.issuer_text,
            algorithm=algorithm,
            certificate=certificate,
        )

    def _certificates(self, encoded: tuple[memoryview, ...]) -> list[Certificate]:
        rules = self.rules
        if len(encoded) > rules.max_certificates:
            raise VerificationError(MALFORMED, "too many certificates")
        certificates = []
        for view in encoded:
            if len(view) > rules.max_certificate_bytes:
                raise VerificationError(MALFORMED, "a certificate larger than the policy allows")
            known = self._known_cas.get(view)  # type: ignore[call-overload]  # a bytes view hashes as its bytes
            if known is None:
                try:
                    known = Certificate(view)
                    if known.is_ca:
                        if len(self._known_cas) >= 64:
                            self._known_cas.clear()
                        self._known_cas[known.der] = known
                except CertificateError as error:
                    raise VerificationError(MALFORMED, str(error)) from None
            certificates.append(known)
        return certificates


def _content(attached: memoryview | bytes | None, detached: bytes | None, rules: Policy) -> bytes:
    if attached is not None and detached is not None:
        raise VerificationError(MALFORMED, "content both attached and detached")
    content = attached if attached is not None else detached
    if content is None:
        raise VerificationError(MALFORMED, "no signed content")
    if len(content) > rules.max_content_bytes:
        raise VerificationError(MALFORMED, "signed content larger than the policy allows")
    return bytes(content)


def _signer_certificate(signer: Signer, certificates: list[Certificate]) -> Certificate:
    for certificate in certificates:
        if signer.serial is not None:
            if certificate.serial == signer.serial and certificate.issuer_der == signer.issuer_der:
                return certificate
        elif signer.key_identifier is not None and certificate.key_identifier == signer.key_identifier:
            return certificate
    raise VerificationError(UNTRUSTED_CERTIFICATE, "the signer's certificate is not in the CMS")


def _signed_attributes(signer: Signer, rules: Policy) -> bytes:
    if signer.signed_attributes is None or signer.message_digest is None:
        raise VerificationError(INVALID_SIGNATURE, "no signed attributes with a messageDigest")
    if signer.content_type_attribute != ID_DATA:
        raise VerificationError(INVALID_SIGNATURE, "the contentType signed attribute is not id-data")
    if len(signer.signed_attributes) > rules.max_signed_attributes_bytes:
        raise VerificationError(MALFORMED, "signed attributes larger than the policy allows")
    return signer.signed_attributes


def _check_digest(signer: Signer, content: bytes) -> None:
    try:
        expected = algorithms.digest(signer.digest_oid, content)
    except algorithms.UnsupportedAlgorithm as error:
        raise VerificationError(INVALID_SIGNATURE, str(error)) from None
    if not hmac.compare_digest(expected, signer.message_digest or b""):
        raise VerificationError(INVALID_SIGNATURE, "messageDigest does not match the content")


def _check_signature(signer: Signer, attributes: bytes, certificate: Certificate) -> None:
    key = algorithms.PublicKey(certificate.spki_der, certificate.public_key_oid)
    try:
        valid = algorithms.verify(key, signer.signature_oid, attributes, signer.signature, digest_oid=signer.digest_oid)
    except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey) as error:
        raise VerificationError(INVALID_SIGNATURE, str(error)) from None
    if not valid:
        raise VerificationError(INVALID_SIGNATURE, "the signature does not verify with the signer's key")


def _check_profile(certificate: Certificate, profile: EndEntityProfile) -> None:
    if certificate.key_usage is not None and not certificate.key_usage_allows_signing:
        raise VerificationError(CERTIFICATE_NOT_FOR_SIGNING, "key usage does not allow signatures")
    if profile.signing_key and not certificate.is_signing_key:
        raise VerificationError(CERTIFICATE_NOT_FOR_SIGNING, "not a SIGN key")
    if profile.individual and not certificate.is_individual:
        raise VerificationError(NOT_AN_INDIVIDUAL, "legal-entity certificate")
    if profile.iin and not certificate.iin:
        raise VerificationError(NOT_AN_INDIVIDUAL, "no IIN in the subject")
