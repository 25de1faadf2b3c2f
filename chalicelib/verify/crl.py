"""Certificate revocation lists as the NCA publishes them, read with our DER reader and verified
with the issuing CA's key. The CRL refresher reads each CRL once; vote functions never do (they
read the compact index made from it, `revocation_index`).

What is read (RFC 5280 section 5):

    CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm, signatureValue BIT STRING }
    TBSCertList ::= SEQUENCE { version INTEGER (v2) OPTIONAL, signature AlgorithmIdentifier,
        issuer Name, thisUpdate Time, nextUpdate Time OPTIONAL,
        revokedCertificates SEQUENCE OF SEQUENCE { userCertificate INTEGER, revocationDate Time,
            crlEntryExtensions Extensions OPTIONAL } OPTIONAL,
        crlExtensions [0] EXPLICIT Extensions OPTIONAL }

- The two signature AlgorithmIdentifiers (inside tbsCertList and outside) must name the same
  algorithm; their parameters may differ only as NULL against absent, the NCA's own quirk (its
  GOST TEST CRL has no NULL inside and a NULL outside). Any other difference is refused.
- The signature is verified with the key of a trusted CA of the CRL's issuer name (and, when the
  CRL names one, of its authorityKeyIdentifier), through `algorithms` (RSA, ECDSA and both GOST
  families). A CA whose keyUsage lacks cRLSign does not sign CRLs here.
- cRLNumber, deltaCRLIndicator (a delta CRL extends the base with that number), revocation dates,
  reasonCode (removeFromCRL in a delta takes a held certificate off; certificateHold counts as
  revoked). nextUpdate is required: without it a replayed old CRL would never go stale.
- The policy's limits (`Policy.max_crl_bytes`, entries, serial length) bound the work, and a CRL
  or entry extension that is critical and not understood, or that narrows what the list covers
  (issuingDistributionPoint, an indirect CRL's certificateIssuer), refuses the CRL.

Costs are in the order of the checks: the structure and the issuer before any hash, the signature
(a hash over the whole tbsCertList) before the million entries are walked.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from chalicelib.verify import algorithms, der
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.der import DerError
from chalicelib.verify.failures import Refusal
from chalicelib.verify.policy import (
    AUTHORITY_KEY_IDENTIFIER,
    CRL_NUMBER,
    DELTA_CRL_INDICATOR,
    NCA,
    REASON_CODE,
    Policy,
)
from chalicelib.verify.revocation_index import REMOVED, SERIAL_BYTES, TIME, RevokedSerials
from chalicelib.verify.trust import TrustStore

REMOVE_FROM_CRL = 8  # CRLReason (RFC 5280 5.3.1); certificateHold (6) counts as revoked, as every other reason
_NULL = b"\x05\x00"
_PEM_HEAD, _PEM_TAIL = b"-----BEGIN X509 CRL-----", b"-----END X509 CRL-----"
_EXTENSIONS = der.context(0)
_KEY_IDENTIFIER = der.context(0, constructed=False)
_LONG = der.LONG_LENGTH_BYTES

# Why a CRL is refused: the refresher's metric and log line name it.
MALFORMED = "malformed"  # not a CRL we read: broken DER, a missing nextUpdate, over the limits
UNTRUSTED_ISSUER = "untrusted_issuer"  # no CA of the CRL's issuer name in the trust folder
NO_CRL_SIGN = "no_crl_sign"  # the only CAs of that name may not sign CRLs (keyUsage without cRLSign)
BAD_SIGNATURE = "bad_signature"  # the signature does not verify with that CA's key
UNSUPPORTED = "unsupported"  # an algorithm or an extension this reader does not accept
REASONS = frozenset({MALFORMED, UNTRUSTED_ISSUER, NO_CRL_SIGN, BAD_SIGNATURE, UNSUPPORTED})


class CrlError(Refusal):
    """A CRL refused; `code` is one of REASONS, `detail` says what (never quotes the bytes)."""

    codes = REASONS


@dataclass(frozen=True)
class RevocationList:
    """One verified CRL: its issuer (the trusted CA whose key verified it) and what it revokes."""

    issuer: Certificate
    this_update: datetime
    next_update: datetime
    number: int | None  # cRLNumber
    delta_base: int | None  # a delta CRL: the cRLNumber of the base it extends
    revoked: RevokedSerials  # serial -> seconds since 1970; REMOVED for a delta's removeFromCRL

    @property
    def is_delta(self) -> bool:
        return self.delta_base is not None


def read_crl(data: bytes, trust: TrustStore, rules: Policy = NCA) -> RevocationList:
    """Read a CRL (DER, or one PEM block) and verify it with the trusted CA that issued it."""
    if len(data) > rules.max_crl_bytes:
        raise CrlError(MALFORMED, f"larger than the policy's {rules.max_crl_bytes} bytes")
    encoded = _unarmoured(data)
    try:
        return _read(encoded, trust, rules)
    except DerError as error:
        raise CrlError(MALFORMED, str(error)) from None


def _unarmoured(data: bytes) -> bytes:
    stripped = data.strip()
    if not stripped.startswith(_PEM_HEAD):
        return data
    if not stripped.endswith(_PEM_TAIL) or stripped.count(b"-----BEGIN") != 1:
        raise CrlError(MALFORMED, "PEM must be one X509 CRL block")
    try:
        return base64.b64decode(b"".join(stripped[len(_PEM_HEAD):-len(_PEM_TAIL)].split()), validate=True)
    except binascii.Error:
        raise CrlError(MALFORMED, "PEM body is not base64") from None


@dataclass(frozen=True)
class _Fields:
    tbs: tuple[int, int]  # the tbsCertList element, header included: what is signed
    signature_oid: str
    signature: bytes
    issuer_der: bytes
    this_update: datetime
    next_update: datetime
    entries: tuple[int, int] | None
    extensions: dict[str, tuple[bool, int, int]]


def _read(data: bytes, trust: TrustStore, rules: Policy) -> RevocationList:
    fields = _structure(data, rules)
    number = _number(data, fields.extensions.get(CRL_NUMBER))
    delta_base = _number(data, fields.extensions.get(DELTA_CRL_INDICATOR))
    if delta_base is not None and number is None:
        raise CrlError(MALFORMED, "a delta CRL without a cRLNumber")
    issuer = _verified_issuer(data, fields, trust, rules)
    revoked = _entries(data, fields.entries, delta_base is not None, rules)
    return RevocationList(issuer, fields.this_update, fields.next_update, number, delta_base, revoked)


def _structure(data: bytes, rules: Policy) -> _Fields:
    start, stop = der.expect(data, 0, len(data), der.SEQUENCE, "CertificateList", _LONG)
    if stop != len(data):
        raise CrlError(MALFORMED, "bytes after the CRL")
    tbs_tag, tbs_start, tbs_stop = der.element(data, start, stop, _LONG)
    if tbs_tag != der.SEQUENCE:
        raise CrlError(MALFORMED, "tbsCertList is not a SEQUENCE")
    outer = der.children(data, tbs_stop, stop)
    if len(outer) != 2 or outer[0][0] != der.SEQUENCE or outer[1][0] != der.BIT_STRING:
        raise CrlError(MALFORMED, "signatureAlgorithm and signatureValue expected after tbsCertList")
    unused, signature_start, signature_stop = der.bit_string(data, outer[1][1], outer[1][2])
    if unused:
        raise CrlError(MALFORMED, "a signature with unused bits")

    pos = tbs_start
    tag, first_start, first_stop = der.element(data, pos, tbs_stop)
    version = 1
    if tag == der.INTEGER:
        version = der.integer(data, first_start, first_stop) + 1
        if version != 2:
            raise CrlError(UNSUPPORTED, f"CRL version {version}")
        pos = first_stop
    inner_start, inner_stop = der.expect(data, pos, tbs_stop, der.SEQUENCE, "signature")
    signature_oid = _same_algorithm(data, (inner_start, inner_stop), (outer[0][1], outer[0][2]))
    _, issuer_stop = der.expect(data, inner_stop, tbs_stop, der.SEQUENCE, "issuer")
    issuer_der = data[inner_stop:issuer_stop]  # the Name element, as certificates' subjects are kept
    tag, time_start, pos = der.element(data, issuer_stop, tbs_stop)
    this_update = der.time(data, tag, time_start, pos)
    if pos == tbs_stop or data[pos] not in (der.UTC_TIME, der.GENERALIZED_TIME):
        raise CrlError(MALFORMED, "no nextUpdate (RFC 5280 5.1.2.5): such a CRL would never go stale")
    tag, time_start, pos = der.element(data, pos, tbs_stop)
    next_update = der.time(data, tag, time_start, pos)
    entries = None
    if pos < tbs_stop and data[pos] == der.SEQUENCE:
        _, entries_start, pos = der.element(data, pos, tbs_stop, _LONG)
        entries = (entries_start, pos)
    extensions: dict[str, tuple[bool, int, int]] = {}
    if pos < tbs_stop:
        extensions_start, pos = der.expect(data, pos, tbs_stop, _EXTENSIONS, "crlExtensions")
        if version != 2:
            raise CrlError(MALFORMED, "extensions in a version 1 CRL")
        extensions = _extensions(data, *der.expect(data, extensions_start, pos, der.SEQUENCE, "crlExtensions"),
                                 rules.understood_critical_crl, rules)
    if pos != tbs_stop:
        raise CrlError(MALFORMED, "unexpected fields in tbsCertList")
    return _Fields((start, tbs_stop), signature_oid, data[signature_start:signature_stop],
                   issuer_der, this_update, next_update, entries, extensions)


def _same_algorithm(data: bytes, inner: tuple[int, int], outer: tuple[int, int]) -> str:
    """The signature algorithm both AlgorithmIdentifiers name. RFC 5280 wants them identical; NULL
    parameters against absent ones mean the same (the NCA writes both ways in one CRL)."""
    found = []
    for start, stop in (inner, outer):
        oid_start, oid_stop = der.expect(data, start, stop, der.OID, "signature algorithm")
        parameters = data[oid_stop:stop]
        if parameters and parameters != _NULL:
            der.element(data, oid_stop, stop)  # present: one element, read as DER
        found.append((der.oid(data, oid_start, oid_stop), b"" if parameters == _NULL else parameters))
    if found[0] != found[1]:
        raise CrlError(MALFORMED, "the signature algorithms inside and outside tbsCertList differ")
    return found[0][0]


def _extensions(data: bytes, start: int, stop: int, understood: frozenset[str],
                rules: Policy) -> dict[str, tuple[bool, int, int]]:
    """OID -> (critical, start and stop of the extnValue's content), each OID once."""
    found: dict[str, tuple[bool, int, int]] = {}
    for tag, ext_start, ext_stop in der.children(data, start, stop):
        parts = der.children(data, ext_start, ext_stop)
        shaped = 2 <= len(parts) <= 3 and parts[0][0] == der.OID and parts[-1][0] == der.OCTET_STRING
        if tag != der.SEQUENCE or not shaped:
            raise CrlError(MALFORMED, "an extension is not (OID, critical?, OCTET STRING)")
        critical = False
        if len(parts) == 3:
            if parts[1][0] != der.BOOLEAN:
                raise CrlError(MALFORMED, "an extension's critical flag is not a BOOLEAN")
            critical = der.boolean(data, parts[1][1], parts[1][2])
        oid = der.oid(data, parts[0][1], parts[0][2])
        if oid in found:
            raise CrlError(MALFORMED, f"extension {oid} twice")
        if oid in rules.refused_crl_extensions:
            raise CrlError(UNSUPPORTED, f"extension {oid} narrows what the CRL covers: not read here")
        if critical and oid not in understood:
            raise CrlError(UNSUPPORTED, f"unknown critical extension {oid}")
        found[oid] = (critical, parts[-1][1], parts[-1][2])
    return found


def _number(data: bytes, extension: tuple[bool, int, int] | None) -> int | None:
    """cRLNumber or BaseCRLNumber: a non-negative INTEGER of at most 20 octets."""
    if extension is None:
        return None
    _, start, stop = extension
    value = der.integer(data, *der.expect(data, start, stop, der.INTEGER, "CRL number"), max_bytes=21)
    if value < 0 or der.element(data, start, stop)[2] != stop:
        raise CrlError(MALFORMED, "a CRL number is a non-negative INTEGER")
    return value


def _verified_issuer(data: bytes, fields: _Fields, trust: TrustStore, rules: Policy) -> Certificate:
    candidates = trust.anchors_named(fields.issuer_der)
    if not candidates:
        raise CrlError(UNTRUSTED_ISSUER, "no CA of its issuer name is in the trust folder")
    wanted = _authority_key(data, fields.extensions.get(AUTHORITY_KEY_IDENTIFIER))
    refusals: dict[str, str] = {}
    tbs = memoryview(data)[fields.tbs[0]:fields.tbs[1]]
    for issuer in candidates:
        if wanted is not None and issuer.key_identifier is not None and issuer.key_identifier != wanted:
            refusals.setdefault(BAD_SIGNATURE, "signed by another key of the CA of its name")
            continue
        if not issuer.may_sign_crls:
            refusals.setdefault(NO_CRL_SIGN, "the trusted CA of its name may not sign CRLs (keyUsage without cRLSign)")
            continue
        try:
            algorithms.check_algorithms(fields.signature_oid, issuer.public_key_oid, None, rules)
            algorithms.check_key(issuer.spki_der, rules)
            holds = algorithms.verify(algorithms.PublicKey(issuer.spki_der, issuer.public_key_oid),
                                      fields.signature_oid, tbs, fields.signature)
        except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey) as error:
            refusals.setdefault(UNSUPPORTED, str(error))
            continue
        if holds:
            return issuer
        refusals.setdefault(BAD_SIGNATURE, "the signature does not verify with the key of the trusted CA of its name")
    # The most telling refusal first: a forgery over a CA we would otherwise use.
    reason = next(r for r in (BAD_SIGNATURE, UNSUPPORTED, NO_CRL_SIGN) if r in refusals)
    raise CrlError(reason, refusals[reason])


def _authority_key(data: bytes, extension: tuple[bool, int, int] | None) -> bytes | None:
    if extension is None:
        return None
    _, start, stop = extension
    for tag, part_start, part_stop in der.children(data, *der.expect(data, start, stop, der.SEQUENCE,
                                                                       "authorityKeyIdentifier")):
        if tag == _KEY_IDENTIFIER:
            return data[part_start:part_stop]
    return None


def _entries(data: bytes, span: tuple[int, int] | None, delta: bool, rules: Policy) -> RevokedSerials:
    """The revoked certificates as sorted records. Written out for speed: a national CRL has a
    million entries, and a call per element would be most of the refresher's time. Every entry is
    read with DER's rules (minimal lengths and integers, DER times)."""
    if span is None:
        return RevokedSerials(b"")
    pos, stop = span
    time_of, extensions_of = der.epoch_seconds, _EntryExtensions(rules)
    longest = rules.max_serial_bytes
    records: list[bytes] = []
    append, pack = records.append, TIME.pack
    while pos < stop:
        if data[pos] != der.SEQUENCE or stop - pos < 2:
            raise DerError("a revoked certificate is not a SEQUENCE")
        length = data[pos + 1]
        if length < 0x80:
            body = pos + 2
        elif length == 0x81 and stop - pos > 2 and data[pos + 2] >= 0x80:
            length, body = data[pos + 2], pos + 3
        elif length == 0x82 and stop - pos > 3 and data[pos + 2]:
            length, body = data[pos + 2] << 8 | data[pos + 3], pos + 4
        else:
            raise DerError("a revoked certificate's length is not minimal DER")
        end = body + length
        if end > stop or length < 2 or data[body] != der.INTEGER:
            raise DerError("a revoked certificate without its serial")
        size = data[body + 1]
        serial_start = body + 2
        serial_stop = serial_start + size
        if size == 0 or size > longest + 1 or serial_stop + 2 > end:
            raise DerError("a revoked certificate's serial is empty, too long or runs past the entry")
        first = data[serial_start]
        second = data[serial_start + 1] if size > 1 else 0
        if size > 1 and ((first == 0 and second < 0x80) or (first == 0xFF and second >= 0x80)):
            raise DerError("non-minimal serial")
        time_tag, time_length = data[serial_stop], data[serial_stop + 1]
        time_stop = serial_stop + 2 + time_length
        if time_length >= 0x80 or time_stop > end:
            raise DerError("a revocation date runs past the entry")
        seconds = time_of(data, time_tag, serial_stop + 2, time_stop)
        reason = extensions_of(data, time_stop, end) if time_stop < end else None
        pos = end
        if first >= 0x80 or (first == 0 and size == 1):
            continue  # zero or negative: no certificate the verifier accepts has such a serial
        serial = data[serial_start + 1:serial_stop] if first == 0 else data[serial_start:serial_stop]
        if len(serial) > longest:
            raise DerError("a serial longer than the policy's")
        if reason == REMOVE_FROM_CRL:
            if not delta:
                continue  # only a delta CRL takes certificates off (RFC 5280 5.3.1)
            seconds = REMOVED
        elif seconds < 0:
            seconds = 0  # revoked before 1970 (UTCTime reaches 1950): revoked since ever
        append(serial.rjust(SERIAL_BYTES, b"\0") + pack(seconds))  # revocation_index.record, inlined
    if len(records) > rules.max_crl_entries:
        raise CrlError(MALFORMED, f"more than the policy's {rules.max_crl_entries} entries")
    records.sort()
    return RevokedSerials(b"".join(records))


class _EntryExtensions:
    """An entry's extensions checked and its reasonCode read. Entries of one CRL mostly carry the
    same few encodings (reasonCode with a handful of values): each is read once."""

    def __init__(self, rules: Policy) -> None:
        self.rules = rules
        self.known: dict[bytes, int | None] = {}

    def __call__(self, data: bytes, start: int, stop: int) -> int | None:
        raw = data[start:stop]
        if raw in self.known:
            return self.known[raw]
        content_start, content_stop = der.expect(data, start, stop, der.SEQUENCE, "crlEntryExtensions")
        if content_stop != stop:
            raise DerError("bytes after an entry's extensions")
        found = _extensions(data, content_start, content_stop, self.rules.understood_critical_crl_entry, self.rules)
        reason = None
        if REASON_CODE in found:
            _, value_start, value_stop = found[REASON_CODE]
            enumerated_start, enumerated_stop = der.expect(data, value_start, value_stop, 0x0A, "reasonCode")
            reason = der.integer(data, enumerated_start, enumerated_stop, max_bytes=1)
        if len(self.known) < 4096:
            self.known[raw] = reason
        return reason
