"""X.509 certificates as the verifier needs them: names, validity, extensions, key roles, the IIN.

`cryptography` (Rust) checks the whole structure once on load (a strict DER parser, and the
printable names for logs); the fields verification reads are cut out of the bytes by our `der`
reader (zero-copy for the tbsCertificate, no decoded names or extension objects built), and the
extensions decoded here are the few the policy speaks of. RFC 5280's rules that matter here
(`problem`): unknown critical extensions, extensions this verifier does not enforce, keyCertSign
only with cA, CA subjects non-empty.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import warnings
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.utils import CryptographyDeprecationWarning

from chalicelib.verify import der, policy
from chalicelib.verify.der import DerError
from chalicelib.verify.policy import Policy

EKU_INDIVIDUAL = "1.2.398.3.3.4.1.1"
EKU_LEGAL_ENTITY_PREFIX = "1.2.398.3.3.4.1.2"
EKU_SIGN = "1.3.6.1.5.5.7.3.4"  # emailProtection: the NCA's mark of a SIGN key
SERIAL_NUMBER_ATTRIBUTE = "2.5.4.5"

DIGITAL_SIGNATURE, NON_REPUDIATION, KEY_CERT_SIGN, CRL_SIGN = 1 << 0, 1 << 1, 1 << 5, 1 << 6

# cryptography warns, once per certificate, about what this module refuses or accepts on purpose:
# a serial that is not positive (refused below) and NCA names longer than X.520's bounds (their
# profile). Hostile input must not fill the logs with them.
warnings.filterwarnings("ignore", category=CryptographyDeprecationWarning, module=__name__)
warnings.filterwarnings("ignore", category=UserWarning, module=__name__)

_IIN = re.compile(r"IIN([0-9]{12})")  # ASCII digits only: another script's digits are another string
_BIN = re.compile(r"BIN\d{12}")  # any digits: a legal entity is recognised however it writes them
_EXTENSIONS = der.context(3)
_VERSION = der.context(0)
_EMPTY_NAME = b"\x30\x00"


_T = TypeVar("_T")
_E = TypeVar("_E", bound=x509.ExtensionType)


class _once(Generic[_T]):  # used as a decorator, like cached_property
    """`functools.cached_property` without its lock (Python 3.11 takes one on every first read
    of every instance: a share of a vote's time); the value lands in the instance's `__dict__`."""

    def __init__(self, compute: Callable[[Any], _T]) -> None:
        self.compute, self.name = compute, compute.__name__

    def __get__(self, instance: Any, owner: type | None = None) -> _T:
        value = self.compute(instance)
        instance.__dict__[self.name] = value
        return value


class CertificateError(ValueError):
    """Bytes that are not a certificate we can read."""


class Certificate:
    """One parsed certificate. Equality is by the exact DER bytes."""

    __slots__ = (
        "__dict__",
        "_values",
        "der",
        "extensions",
        "issuer_der",
        "not_after",
        "not_before",
        "public_key_oid",
        "serial",
        "signature",
        "signature_oid",
        "spki_der",
        "subject_der",
        "tbs",
        "x509",
    )
    der: bytes
    x509: x509.Certificate
    tbs: memoryview  # the tbsCertificate, as signed: a view into `der`
    serial: int
    signature_oid: str
    signature: bytes
    issuer_der: bytes
    subject_der: bytes
    not_before: datetime
    not_after: datetime
    spki_der: bytes
    public_key_oid: str
    extensions: dict[str, bool]  # OID -> critical

    def __init__(self, data: bytes | memoryview) -> None:
        encoded = data if type(data) is bytes else bytes(data)
        try:
            self.x509 = x509.load_der_x509_certificate(encoded)
            self._read(encoded)
        except CertificateError:
            raise
        except Exception as error:  # hostile bytes can raise many kinds; all mean "not a certificate"
            raise CertificateError(f"not an X.509 certificate: {type(error).__name__}") from None
        self.der = encoded

    def _read(self, data: bytes) -> None:
        # cryptography has checked the structure and gives the scalar fields cheaply; the byte
        # ranges (what is signed, the names, the key, the extensions) are cut out here.
        parsed = self.x509
        self.not_before = parsed.not_valid_before_utc
        self.not_after = parsed.not_valid_after_utc
        self.signature = parsed.signature
        self.signature_oid = parsed.signature_algorithm_oid.dotted_string
        self.public_key_oid = parsed.public_key_algorithm_oid.dotted_string
        _, start, stop = der.element(data, 0, len(data))
        _, tbs_start, tbs_stop = der.element(data, start, stop)
        self.tbs = memoryview(data)[start:tbs_stop]
        fields = der.children(data, tbs_start, tbs_stop)
        if fields[0][0] == _VERSION:
            fields = fields[1:]
        self.serial = der.integer(data, fields[0][1], fields[0][2], max_bytes=21)
        if self.serial <= 0:
            raise CertificateError("serial number not positive (RFC 5280)")
        _, issuer_start, issuer_stop = fields[2]
        _, subject_start, subject_stop = fields[4]
        _, spki_start, spki_stop = fields[5]
        self.issuer_der = data[der.element_start(issuer_start, issuer_stop):issuer_stop]
        self.subject_der = data[der.element_start(subject_start, subject_stop):subject_stop]
        self.spki_der = data[der.element_start(spki_start, spki_stop):spki_stop]
        # cryptography decodes the extensions (one native call; a duplicate or a malformed known
        # extension raises): the policy reads their OIDs, critical flags and a few values.
        self._values = {e.oid.dotted_string: e for e in parsed.extensions}
        self.extensions = {oid: e.critical for oid, e in self._values.items()}

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

    @_once
    def fingerprint(self) -> bytes:
        return hashlib.sha256(self.der).digest()

    @property
    def subject_text(self) -> str:
        return _name_text(self.subject_der, self.x509, "subject")

    @property
    def issuer_text(self) -> str:
        return _name_text(self.issuer_der, self.x509, "issuer")

    @property
    def serial_hex(self) -> str:
        return format(self.serial, "X")

    # Extensions, decoded on first use.

    def _value(self, kind: type[_E], oid: str) -> _E | None:
        found = self._values.get(oid)
        return None if found is None else found.value  # `kind` names the type the OID decodes to

    @_once
    def _basic_constraints(self) -> tuple[bool, int | None]:
        constraints = self._value(x509.BasicConstraints, policy.BASIC_CONSTRAINTS)
        return (False, None) if constraints is None else (constraints.ca, constraints.path_length)

    @property
    def is_ca(self) -> bool:
        return self._basic_constraints[0]

    @property
    def path_length(self) -> int | None:
        return self._basic_constraints[1]

    @_once
    def key_usage(self) -> int | None:
        """keyUsage's bits (bit 0 digitalSignature … bit 6 cRLSign), None when absent."""
        usage = self._value(x509.KeyUsage, policy.KEY_USAGE)
        if usage is None:
            return None
        named = (usage.digital_signature, usage.content_commitment, usage.key_encipherment, usage.data_encipherment,
                 usage.key_agreement, usage.key_cert_sign, usage.crl_sign)
        return sum(1 << bit for bit, asserted in enumerate(named) if asserted)

    @property
    def may_sign_certificates(self) -> bool:
        return self.key_usage is None or bool(self.key_usage & KEY_CERT_SIGN)

    @property
    def may_sign_crls(self) -> bool:
        return self.key_usage is None or bool(self.key_usage & CRL_SIGN)

    @property
    def key_usage_allows_signing(self) -> bool:
        return self.key_usage is not None and bool(self.key_usage & (DIGITAL_SIGNATURE | NON_REPUDIATION))

    @_once
    def extended_key_usages(self) -> frozenset[str]:
        usages = self._value(x509.ExtendedKeyUsage, policy.EXTENDED_KEY_USAGE)
        return frozenset() if usages is None else frozenset(o.dotted_string for o in usages)

    @_once
    def key_identifier(self) -> bytes | None:
        """subjectKeyIdentifier."""
        found = self._value(x509.SubjectKeyIdentifier, policy.SUBJECT_KEY_IDENTIFIER)
        return None if found is None else found.digest

    @_once
    def authority_key_identifier(self) -> bytes | None:
        """authorityKeyIdentifier's keyIdentifier: which of the issuer's keys signed this."""
        found = self._value(x509.AuthorityKeyIdentifier, policy.AUTHORITY_KEY_IDENTIFIER)
        return None if found is None else found.key_identifier

    @property
    def crl_urls(self) -> list[str]:
        """cRLDistributionPoints' URIs: where the issuing CA publishes its (base) CRL."""
        return _uris(self._value(x509.CRLDistributionPoints, policy.CRL_DISTRIBUTION_POINTS))

    @property
    def delta_crl_urls(self) -> list[str]:
        """freshestCRL's URIs: where the issuing CA publishes its delta CRL."""
        return _uris(self._value(x509.FreshestCRL, policy.FRESHEST_CRL))

    @property
    def is_self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    @_once
    def subject_attributes(self) -> tuple[tuple[str, str], ...]:
        """(type OID, value) of every attribute of the subject, in order ("" for a value that is
        not a directory string: it is neither an IIN nor a BIN). Only serialNumber values are
        decoded unless the subject may carry a BIN: a vote reads no other."""
        data = self.subject_der
        decode_all = self._may_carry_bin
        found = []
        for set_tag, set_start, set_stop in der.children(data, *der.expect(data, 0, len(data), der.SEQUENCE, "name")):
            if set_tag != der.SET:
                raise CertificateError("a name's part is not a SET")
            for tag, start, stop in der.children(data, set_start, set_stop):
                parts = der.children(data, start, stop)
                if tag != der.SEQUENCE or len(parts) != 2 or parts[0][0] != der.OID:
                    raise CertificateError("a name attribute is not a type and one value")
                (_, type_start, type_stop), (value_tag, value_start, value_stop) = parts
                oid = der.oid(data, type_start, type_stop)
                value = ""
                if oid == SERIAL_NUMBER_ATTRIBUTE or decode_all:
                    with contextlib.suppress(DerError):
                        value = der.text(data, value_tag, value_start, value_stop)
                found.append((oid, value))
        return tuple(found)

    @property
    def _may_carry_bin(self) -> bool:
        # "BIN" in any directory string encodes as these bytes (BMPString: UTF-16); a subject
        # without them needs no decoding to know it names no BIN.
        return b"BIN" in self.subject_der or b"\x00B\x00I\x00N" in self.subject_der

    def problem(self, rules: Policy, as_ca: bool) -> str | None:
        """What RFC 5280 (and the policy) object to in this certificate as a CA of a path
        (`as_ca`) or as the signer's; None when nothing does. Never names the holder."""
        for oid, critical in self.extensions.items():
            if oid in rules.refused_extensions:
                return f"extension {oid} is not enforced here: the certificate is refused"
            if critical and oid not in rules.understood_critical:
                return f"unknown critical extension {oid}"
        try:
            ca = self.is_ca
            if self.key_usage is not None and self.key_usage & KEY_CERT_SIGN and not ca:
                return "keyCertSign without cA (RFC 5280 4.2.1.3)"
            self.subject_attributes  # noqa: B018 - read now, so that a malformed name refuses here
        except (CertificateError, DerError) as error:
            return f"malformed extension: {error}"
        if as_ca:
            if not ca:
                return "an issuer is not a CA"
            if not self.may_sign_certificates:
                return "an issuer may not sign certificates"
            if self.subject_der == _EMPTY_NAME:
                return "a CA with an empty subject"
        elif ca:
            return "the signer's certificate is a CA certificate"
        return None

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
        carries_bin = self._may_carry_bin and any(_BIN.fullmatch(value) for _, value in self.subject_attributes)
        return EKU_INDIVIDUAL in usages and not legal_entity and not carries_bin

    @_once
    def iin(self) -> str | None:
        """The holder's IIN from `serialNumber=IIN<12 ASCII digits>`. The check digit is not
        enforced: the NCA's own test IINs fail it."""
        values = [value for oid, value in self.subject_attributes if oid == SERIAL_NUMBER_ATTRIBUTE]
        if len(values) != 1:
            return None
        match = _IIN.fullmatch(values[0])
        return match.group(1) if match else None


def _uris(points: x509.CRLDistributionPoints | x509.FreshestCRL | None) -> list[str]:
    # The NCA's 2018 CAs carry one URI holding two: "http://crl.root.gov.kz/rsa.crl\n  URL=http://crl1…".
    return [] if points is None else [part.removeprefix("URL=") for point in points for name in point.full_name or ()
                                      if isinstance(name, x509.UniformResourceIdentifier)
                                      for part in name.value.split()]


_NAMES: dict[bytes, str] = {}  # issuers' names repeat on every vote: each is made printable once


def _name_text(name_der: bytes, parsed: x509.Certificate, which: str) -> str:
    known = _NAMES.get(name_der)
    if known is None:
        with warnings.catch_warnings():
            # NCA names carry attributes longer than X.520's upper bounds; that is their profile.
            warnings.simplefilter("ignore", UserWarning)
            known = (parsed.subject if which == "subject" else parsed.issuer).rfc4514_string()
        if len(_NAMES) > 1024:
            _NAMES.clear()
        _NAMES[name_der] = known
    return known
