"""X.509 certificates as the verifier needs them: names, validity, extensions, key roles, the IIN.

`cryptography` (Rust) checks the whole structure once on load (a strict DER parser, and the
printable names for logs); the fields verification reads are cut out of the bytes by our `der`
reader (zero-copy for the tbsCertificate, no decoded names or extension objects built), and the
extensions decoded here are the few the policy speaks of. RFC 5280's rules that matter here
(`problem`): unknown critical extensions, extensions this verifier does not enforce, keyCertSign
only with cA, CA subjects non-empty.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import datetime
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from chalicelib.verify import der, policy
from chalicelib.verify.der import DerError
from chalicelib.verify.policy import Policy

EKU_INDIVIDUAL = "1.2.398.3.3.4.1.1"
EKU_LEGAL_ENTITY_PREFIX = "1.2.398.3.3.4.1.2"
EKU_SIGN = "1.3.6.1.5.5.7.3.4"  # emailProtection: the NCA's mark of a SIGN key
SERIAL_NUMBER_ATTRIBUTE = "2.5.4.5"

DIGITAL_SIGNATURE, NON_REPUDIATION, KEY_CERT_SIGN, CRL_SIGN = 1 << 0, 1 << 1, 1 << 5, 1 << 6

_IIN = re.compile(r"IIN([0-9]{12})")  # ASCII digits only: another script's digits are another string
_BIN = re.compile(r"BIN\d{12}")  # any digits: a legal entity is recognised however it writes them
_EXTENSIONS = der.context(3)
_VERSION = der.context(0)
_EMPTY_NAME = b"\x30\x00"


class CertificateError(ValueError):
    """Bytes that are not a certificate we can read."""


class Certificate:
    """One parsed certificate. Equality is by the exact DER bytes."""

    __slots__ = ("__dict__", "der", "extensions", "issuer_der", "not_after", "not_before", "public_key_oid",
                 "serial", "signature", "signature_oid", "spki_der", "subject_der", "tbs", "version", "x509")
    der: bytes
    x509: x509.Certificate
    tbs: memoryview  # the tbsCertificate, as signed: a view into `der`
    serial: int
    version: int
    signature_oid: str
    signature: bytes
    issuer_der: bytes
    subject_der: bytes
    not_before: datetime
    not_after: datetime
    spki_der: bytes
    public_key_oid: str
    extensions: dict[str, tuple[bool, int, int]]  # OID -> (critical, value start, value stop) in `der`

    def __init__(self, data: bytes | memoryview) -> None:
        encoded = bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self.x509 = x509.load_der_x509_certificate(encoded)
            self._read(encoded)
        except CertificateError:
            raise
        except Exception as error:  # hostile bytes can raise many kinds; all mean "not a certificate"
            raise CertificateError(f"not an X.509 certificate: {type(error).__name__}") from None
        self.der = encoded

    def _read(self, data: bytes) -> None:
        outer = der.children(data, *der.expect(data, 0, len(data), der.SEQUENCE, "Certificate"))
        if len(outer) != 3 or [t for t, _, _ in outer] != [der.SEQUENCE, der.SEQUENCE, der.BIT_STRING]:
            raise CertificateError("not an X.509 certificate: its three parts")
        (_, tbs_start, tbs_stop), (_, alg_start, alg_stop), (_, sig_start, sig_stop) = outer
        view = memoryview(data)
        self.tbs = view[_header(tbs_start, tbs_stop):tbs_stop]
        self.signature_oid = der.oid(data, *der.expect(data, alg_start, alg_stop, der.OID, "signatureAlgorithm"))
        unused, bits_start, bits_stop = der.bit_string(data, sig_start, sig_stop)
        if unused:
            raise CertificateError("signature with unused bits")
        self.signature = data[bits_start:bits_stop]
        fields = der.children(data, tbs_start, tbs_stop)
        self.version = 0
        if fields and fields[0][0] == _VERSION:
            self.version = der.integer(data, *der.expect(data, fields[0][1], fields[0][2], der.INTEGER, "version"))
            fields = fields[1:]
        if len(fields) < 6:
            raise CertificateError("tbsCertificate lacks fields")
        serial, algorithm, issuer, validity, subject, spki = fields[:6]
        if serial[0] != der.INTEGER or issuer[0] != der.SEQUENCE or subject[0] != der.SEQUENCE:
            raise CertificateError("tbsCertificate fields out of order")
        self.serial = der.integer(data, serial[1], serial[2], max_bytes=21)
        if self.serial <= 0:
            raise CertificateError("serial number not positive (RFC 5280)")
        if der.oid(data, *der.expect(data, algorithm[1], algorithm[2], der.OID, "signature")) != self.signature_oid:
            raise CertificateError("the two signature algorithms differ")
        self.issuer_der = data[_header(issuer[1], issuer[2]):issuer[2]]
        self.subject_der = data[_header(subject[1], subject[2]):subject[2]]
        times = der.children(data, validity[1], validity[2])
        if validity[0] != der.SEQUENCE or len(times) != 2:
            raise CertificateError("validity is not two times")
        self.not_before = der.time(data, *times[0])
        self.not_after = der.time(data, *times[1])
        self.spki_der = data[_header(spki[1], spki[2]):spki[2]]
        key_algorithm = der.expect(data, spki[1], spki[2], der.SEQUENCE, "subjectPublicKeyInfo")
        self.public_key_oid = der.oid(data, *der.expect(data, *key_algorithm, der.OID, "key algorithm"))
        self.extensions = {}
        rest = fields[6:]
        while rest and rest[0][0] in (0x81, 0x82):  # issuerUniqueID, subjectUniqueID: not used
            rest = rest[1:]
        if rest and rest[0][0] == _EXTENSIONS:
            if self.version != 2:
                raise CertificateError("extensions in a certificate that is not v3")
            self._read_extensions(data, *der.expect(data, rest[0][1], rest[0][2], der.SEQUENCE, "extensions"))
            rest = rest[1:]
        if rest:
            raise CertificateError("unexpected fields in tbsCertificate")

    def _read_extensions(self, data: bytes, start: int, stop: int) -> None:
        for tag, ext_start, ext_stop in der.children(data, start, stop):
            parts = der.children(data, ext_start, ext_stop)
            if tag != der.SEQUENCE or len(parts) not in (2, 3) or parts[0][0] != der.OID:
                raise CertificateError("malformed extension")
            critical = False
            if len(parts) == 3:
                if parts[1][0] != der.BOOLEAN or not der.boolean(data, parts[1][1], parts[1][2]):
                    raise CertificateError("critical must be TRUE when present (DER)")
                critical = True
            value_tag, value_start, value_stop = parts[-1]
            if value_tag != der.OCTET_STRING:
                raise CertificateError("extension value is not an OCTET STRING")
            oid = der.oid(data, parts[0][1], parts[0][2])
            if oid in self.extensions:
                raise CertificateError(f"extension {oid} occurs twice (RFC 5280)")
            self.extensions[oid] = (critical, value_start, value_stop)

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

    def _value(self, oid: str) -> tuple[int, int] | None:
        found = self.extensions.get(oid)
        return None if found is None else (found[1], found[2])

    @cached_property
    def _basic_constraints(self) -> tuple[bool, int | None]:
        where = self._value(policy.BASIC_CONSTRAINTS)
        if where is None:
            return False, None
        data = self.der
        parts = der.children(data, *der.expect(data, *where, der.SEQUENCE, "basicConstraints"))
        ca, length = False, None
        if parts and parts[0][0] == der.BOOLEAN:
            ca = der.boolean(data, parts[0][1], parts[0][2])
            if not ca:
                raise CertificateError("basicConstraints: cA FALSE must be left out (DER)")
            parts = parts[1:]
        if parts and parts[0][0] == der.INTEGER:
            length = der.integer(data, parts[0][1], parts[0][2], max_bytes=2)
            if length < 0:
                raise CertificateError("basicConstraints: negative pathLenConstraint")
            parts = parts[1:]
        if parts:
            raise CertificateError("basicConstraints: unexpected fields")
        return ca, length

    @property
    def is_ca(self) -> bool:
        return self._basic_constraints[0]

    @property
    def path_length(self) -> int | None:
        return self._basic_constraints[1]

    @cached_property
    def key_usage(self) -> int | None:
        """keyUsage's bits (bit 0 digitalSignature … bit 8 decipherOnly), None when absent."""
        where = self._value(policy.KEY_USAGE)
        if where is None:
            return None
        return der.named_bits(self.der, *der.expect(self.der, *where, der.BIT_STRING, "keyUsage"))

    @property
    def may_sign_certificates(self) -> bool:
        return self.key_usage is None or bool(self.key_usage & KEY_CERT_SIGN)

    @property
    def may_sign_crls(self) -> bool:
        return self.key_usage is None or bool(self.key_usage & CRL_SIGN)

    @property
    def key_usage_allows_signing(self) -> bool:
        return self.key_usage is not None and bool(self.key_usage & (DIGITAL_SIGNATURE | NON_REPUDIATION))

    @cached_property
    def extended_key_usages(self) -> frozenset[str]:
        where = self._value(policy.EXTENDED_KEY_USAGE)
        if where is None:
            return frozenset()
        data = self.der
        usages = der.children(data, *der.expect(data, *where, der.SEQUENCE, "extKeyUsage"))
        if not usages or any(tag != der.OID for tag, _, _ in usages):
            raise CertificateError("extKeyUsage is not a list of OIDs")
        return frozenset(der.oid(data, start, stop) for _, start, stop in usages)

    @cached_property
    def key_identifier(self) -> bytes | None:
        """subjectKeyIdentifier."""
        where = self._value(policy.SUBJECT_KEY_IDENTIFIER)
        if where is None:
            return None
        start, stop = der.expect(self.der, *where, der.OCTET_STRING, "subjectKeyIdentifier")
        return self.der[start:stop]

    @cached_property
    def authority_key_identifier(self) -> bytes | None:
        """authorityKeyIdentifier's keyIdentifier: which of the issuer's keys signed this."""
        where = self._value(policy.AUTHORITY_KEY_IDENTIFIER)
        if where is None:
            return None
        data = self.der
        for tag, start, stop in der.children(data, *der.expect(data, *where, der.SEQUENCE, "authorityKeyIdentifier")):
            if tag == der.context(0, constructed=False):
                return data[start:stop]
        return None

    @property
    def is_self_issued(self) -> bool:
        return self.subject_der == self.issuer_der

    @cached_property
    def subject_attributes(self) -> tuple[tuple[str, str], ...]:
        """(type OID, value) of every attribute of the subject, in order ("" for a value that is
        not a directory string: it is neither an IIN nor a BIN)."""
        data = self.subject_der
        found = []
        for set_tag, set_start, set_stop in der.children(data, *der.expect(data, 0, len(data), der.SEQUENCE, "name")):
            if set_tag != der.SET:
                raise CertificateError("a name's part is not a SET")
            for tag, start, stop in der.children(data, set_start, set_stop):
                if tag != der.SEQUENCE:
                    raise CertificateError("a name attribute is not a SEQUENCE")
                type_start, type_stop = der.expect(data, start, stop, der.OID, "attribute type")
                value_tag, value_start, value_stop = der.element(data, type_stop, stop)
                if value_stop != stop:
                    raise CertificateError("a name attribute has more than one value")
                try:
                    value = der.text(data, value_tag, value_start, value_stop)
                except DerError:
                    value = ""
                found.append((der.oid(data, type_start, type_stop), value))
        return tuple(found)

    def problem(self, rules: Policy, as_ca: bool) -> str | None:
        """What RFC 5280 (and the policy) object to in this certificate as a CA of a path
        (`as_ca`) or as the signer's; None when nothing does. Never names the holder."""
        for oid, (critical, _, _) in self.extensions.items():
            if oid in rules.refused_extensions:
                return f"extension {oid} is not enforced here: the certificate is refused"
            if critical and oid not in rules.understood_critical:
                return f"unknown critical extension {oid}"
        try:
            ca = self.is_ca
            if self.key_usage is not None and self.key_usage & KEY_CERT_SIGN and not ca:
                return "keyCertSign without cA (RFC 5280 4.2.1.3)"
            # Read now what later checks read, so that a malformed part refuses here.
            self.extended_key_usages, self.authority_key_identifier, self.key_identifier  # noqa: B018
            self.subject_attributes  # noqa: B018
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
        carries_bin = any(_BIN.fullmatch(value) for _, value in self.subject_attributes)
        return EKU_INDIVIDUAL in usages and not legal_entity and not carries_bin

    @cached_property
    def iin(self) -> str | None:
        """The holder's IIN from `serialNumber=IIN<12 ASCII digits>`. The check digit is not
        enforced: the NCA's own test IINs fail it."""
        values = [value for oid, value in self.subject_attributes if oid == SERIAL_NUMBER_ATTRIBUTE]
        if len(values) != 1:
            return None
        match = _IIN.fullmatch(values[0])
        return match.group(1) if match else None


def _header(start: int, stop: int) -> int:
    """Where the DER element whose content is [start, stop) begins (its tag byte)."""
    length = stop - start
    return start - 2 if length < 0x80 else start - 2 - (length.bit_length() + 7) // 8


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
