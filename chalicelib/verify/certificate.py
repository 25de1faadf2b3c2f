"""X.509 certificates as the verifier needs them: names, validity, CA rights, key roles, the IIN.

Parsing is done once per certificate by `cryptography` (Rust, fast, copes with GOST certificates
as long as nobody asks it for the GOST public key); the SubjectPublicKeyInfo is kept as DER so
that the algorithm layer can verify RSA, ECDSA and GOST alike.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import datetime
from functools import cached_property
from typing import TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

EKU_INDIVIDUAL = "1.2.398.3.3.4.1.1"
EKU_LEGAL_ENTITY_PREFIX = "1.2.398.3.3.4.1.2"
EKU_SIGN = ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string  # 1.3.6.1.5.5.7.3.4

_E = TypeVar("_E", bound=x509.ExtensionType)
_IIN = re.compile(r"IIN(\d{12})")
_BIN = re.compile(r"BIN\d{12}")


class CertificateError(ValueError):
    """Bytes that are not a certificate we can read."""


class Certificate:
    """One parsed certificate. Equality is by the exact DER bytes."""

    __slots__ = ("__dict__", "der", "x509")

    def __init__(self, der: bytes) -> None:
        try:
            with warnings.catch_warnings():
                # NCA names carry attributes longer than X.520's upper bounds; that is their profile.
                warnings.simplefilter("ignore", UserWarning)
                # A serial that is not positive breaks RFC 5280; cryptography only warns (for now).
                warnings.simplefilter("error", CryptographyDeprecationWarning)
                parsed = x509.load_der_x509_certificate(der)
                # Read everything the verifier uses now, so a malformed certificate fails here.
                parsed.subject, parsed.issuer, parsed.extensions  # noqa: B018
                self.serial: int = parsed.serial_number
                self.not_before: datetime = parsed.not_valid_before_utc
                self.not_after: datetime = parsed.not_valid_after_utc
                self.tbs: bytes = parsed.tbs_certificate_bytes
                self.signature: bytes = parsed.signature
                self.signature_oid: str = parsed.signature_algorithm_oid.dotted_string
                self.public_key_oid: str = parsed.public_key_algorithm_oid.dotted_string
        except Exception as error:  # hostile bytes can raise many kinds; all mean "not a certificate"
            raise CertificateError(f"not an X.509 certificate: {type(error).__name__}") from None
        self.der = der
        self.x509 = parsed

    @classmethod
    def from_pem_or_der(cls, data: bytes) -> list[Certificate]:
        if b"-----BEGIN" not in data:
            return [cls(data)]
        try:
            return [cls(c.public_bytes(Encoding.DER)) for c in x509.load_pem_x509_certificates(data)]
        except ValueError as error:
            raise CertificateError(f"bad PEM certificate: {error}") from None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Certificate) and other.der == self.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"Certificate(serial={self.serial_hex}, subject={self.subject_text!r})"

    @cached_property
    def fingerprint(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @cached_property
    def subject_der(self) -> bytes:
        return self.x509.subject.public_bytes()

    @cached_property
    def issuer_der(self) -> bytes:
        return self.x509.issuer.public_bytes()

    @property
    def subject_text(self) -> str:
        return _name_text(self.x509.subject)

    @property
    def issuer_text(self) -> str:
        return _name_text(self.x509.issuer)


    @property
    def serial_hex(self) -> str:
        return format(self.serial, "X")



    @cached_property
    def spki_der(self) -> bytes:
        tbs = asn1_x509.TbsCertificate.load(self.x509.tbs_certificate_bytes)
        return tbs["subject_public_key_info"].dump()





    def _extension(self, kind: type[_E]) -> _E | None:
        try:
            return self.x509.extensions.get_extension_for_class(kind).value
        except x509.ExtensionNotFound:
            return None

    @cached_property
    def is_ca(self) -> bool:
        constraints = self._extension(x509.BasicConstraints)
        return bool(constraints is not None and constraints.ca)

    @cached_property
    def path_length(self) -> int | None:
        constraints = self._extension(x509.BasicConstraints)
        return None if constraints is None else constraints.path_length

    @cached_property
    def may_sign_certificates(self) -> bool:
        usage = self._extension(x509.KeyUsage)
        return usage is None or usage.key_cert_sign

    @cached_property
    def may_sign_crls(self) -> bool:
        usage = self._extension(x509.KeyUsage)
        return usage is None or usage.crl_sign

    @cached_property
    def key_usage_allows_signing(self) -> bool:
        usage = self._extension(x509.KeyUsage)
        return usage is not None and (usage.digital_signature or usage.content_commitment)

    @cached_property
    def extended_key_usages(self) -> frozenset[str]:
        usages = self._extension(x509.ExtendedKeyUsage)
        return frozenset() if usages is None else frozenset(o.dotted_string for o in usages)

    @property
    def is_self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    # The NCA profile: who holds the key and what the key is for.

    @property
    def is_signing_key(self) -> bool:
        """A SIGN key: key usage allows signatures and the EKU marks it for signing, not only for
        signing in (an AUTH key carries clientAuth and no emailProtection)."""
        return self.key_usage_allows_signing and EKU_SIGN in self.extended_key_usages

    @property
    def is_individual(self) -> bool:
        usages = self.extended_key_usages
        legal_entity = any(
            u == EKU_LEGAL_ENTITY_PREFIX or u.startswith(EKU_LEGAL_ENTITY_PREFIX + ".") for u in usages
        )
        carries_bin = any(_BIN.fullmatch(str(a.value)) for a in self.x509.subject)
        return EKU_INDIVIDUAL in usages and not legal_entity and not carries_bin

    @cached_property
    def iin(self) -> str | None:
        """The holder's IIN from `serialNumber=IIN<12 digits>`. The check digit is not enforced:
        the NCA's own test IINs fail it."""
        values = self.x509.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
        if len(values) != 1:
            return None
        match = _IIN.fullmatch(str(values[0].value))
        return match.group(1) if match else None


def _name_text(name: x509.Name) -> str:
    return name.rfc4514_string()

