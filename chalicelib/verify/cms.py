"""CMS SignedData (RFC 5652) as NCALayer, eGov mobile and Kalkan produce it, read with `der`.

Only what verification needs is cut out of the bytes: the signer identifier, the algorithms, the
signed attributes as the bytes the signature covers, the signature, the content and the byte
ranges of the certificates (`memoryview`s into the caller's bytes). What real signers send is
accepted — definite or indefinite lengths in the outer structures (ContentInfo down to the
content, the certificate set and the signer set), the content as one OCTET STRING or in BER
chunks, zero bytes after the end (Kalkan's C API appends one) — and nothing ambiguous: inside a
certificate and a SignerInfo the encoding is DER.

This module decides nothing about trust. Everything a hostile sender can put in the bytes ends as
`MalformedCms`, never as another exception.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from chalicelib.verify import der
from chalicelib.verify.der import DerError

ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_DATA = "1.2.840.113549.1.7.1"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

_SIGNED_ATTRIBUTES = der.context(0)
_SUBJECT_KEY_IDENTIFIER = der.context(0, constructed=False)
_CERTIFICATES = der.context(0)
_CRLS = der.context(1)
_EXPLICIT_0 = der.context(0)
_PEM = re.compile(r"-----BEGIN (CMS|PKCS7)-----([A-Za-z0-9+/=\s]*)-----END \1-----")


class MalformedCms(ValueError):
    """Not a CMS SignedData we can read; the text says what is wrong (safe to log)."""


class Signer(NamedTuple):
    """One SignerInfo: who signed (by issuer and serial, or key identifier) and with what."""

    issuer_der: bytes | None
    serial: int | None
    key_identifier: bytes | None
    digest_oid: str
    signature_oid: str
    signed_attributes: bytes | None  # DER in SET OF form: the bytes the signature covers
    message_digest: bytes | None
    content_type_attribute: str | None
    signature: bytes


class SignedData(NamedTuple):
    content_type: str
    content: memoryview | bytes | None  # None when detached
    certificates: tuple[memoryview, ...]  # each a whole Certificate's DER
    signers: tuple[Signer, ...]


def unarmour(text: str) -> str:
    """The base64 inside PEM armour (`-----BEGIN CMS-----`, as Kalkan writes it, or PKCS7);
    any other text is returned as it is."""
    if "-----BEGIN" not in text:
        return text
    found = _PEM.fullmatch(text.strip())
    if found is None:
        raise MalformedCms("PEM armour that is not one CMS or PKCS7 block")
    return found.group(2)


def parse_signed_data(data: bytes) -> SignedData:
    try:
        return _signed_data(data)
    except DerError as error:
        raise MalformedCms(f"CMS cannot be read: {error}") from None


def _signed_data(data: bytes) -> SignedData:
    end = len(data)
    tag, start, stop, after = der.ber_element(data, 0, end)
    if tag != der.SEQUENCE:
        raise MalformedCms("not a CMS ContentInfo")
    if data[after:].strip(b"\x00"):
        raise MalformedCms("bytes other than zeros after the CMS")
    parts = der.ber_children(data, start, stop)
    if len(parts) != 2 or parts[0][0] != der.OID or parts[1][0] != _EXPLICIT_0:
        raise MalformedCms("not a CMS ContentInfo")
    if der.oid(data, parts[0][1], parts[0][2]) != ID_SIGNED_DATA:
        raise MalformedCms("not a CMS SignedData")
    inner = der.ber_children(data, parts[1][1], parts[1][2])
    if len(inner) != 1 or inner[0][0] != der.SEQUENCE:
        raise MalformedCms("SignedData is not a SEQUENCE")
    fields = der.ber_children(data, inner[0][1], inner[0][2])
    if len(fields) < 4 or [f[0] for f in fields[:3]] != [der.INTEGER, der.SET, der.SEQUENCE]:
        raise MalformedCms("SignedData lacks version, digestAlgorithms or encapContentInfo")
    content_type, content = _encapsulated(data, fields[2])
    certificates: tuple[memoryview, ...] = ()
    rest = fields[3:]
    if rest and rest[0][0] == _CERTIFICATES:
        certificates = _certificates(data, rest[0])
        rest = rest[1:]
    if rest and rest[0][0] == _CRLS:
        rest = rest[1:]
    if len(rest) != 1 or rest[0][0] != der.SET:
        raise MalformedCms("SignedData lacks its signerInfos")
    signers = tuple(_signer(data, info) for info in der.ber_children(data, rest[0][1], rest[0][2]))
    return SignedData(content_type, content, certificates, signers)


def _encapsulated(data: bytes, field: tuple[int, int, int, int]) -> tuple[str, memoryview | bytes | None]:
    parts = der.ber_children(data, field[1], field[2])
    if not parts or parts[0][0] != der.OID or len(parts) > 2:
        raise MalformedCms("encapContentInfo is not a content type and an optional content")
    content_type = der.oid(data, parts[0][1], parts[0][2])
    if content_type != ID_DATA:
        raise MalformedCms("encapsulated content is not id-data")
    if len(parts) == 1:
        return content_type, None
    if parts[1][0] != _EXPLICIT_0:
        raise MalformedCms("eContent is not [0] EXPLICIT")
    octets = der.ber_children(data, parts[1][1], parts[1][2])
    if len(octets) != 1:
        raise MalformedCms("eContent is not one OCTET STRING")
    tag, start, stop, _ = octets[0]
    if tag == der.OCTET_STRING:
        return content_type, memoryview(data)[start:stop]
    if tag == der.CONSTRUCTED_OCTET_STRING:  # BER: the content in chunks, each a primitive OCTET STRING
        chunks = der.ber_children(data, start, stop)
        if any(chunk[0] != der.OCTET_STRING for chunk in chunks):
            raise MalformedCms("eContent chunks must be primitive OCTET STRINGs")
        return content_type, b"".join(data[c[1]:c[2]] for c in chunks)
    raise MalformedCms("eContent is not an OCTET STRING")


def _certificates(data: bytes, field: tuple[int, int, int, int]) -> tuple[memoryview, ...]:
    view = memoryview(data)
    found = []
    for tag, start, stop, after in der.ber_children(data, field[1], field[2]):
        if tag != der.SEQUENCE:
            continue  # attribute certificates and other choices: not used here
        if after != stop:
            raise MalformedCms("a certificate must be DER")
        found.append(view[der.element_start(start, stop):stop])
    return tuple(found)


def _signer(data: bytes, info: tuple[int, int, int, int]) -> Signer:
    tag, start, stop, after = info
    if tag != der.SEQUENCE or after != stop:
        raise MalformedCms("a SignerInfo must be a DER SEQUENCE")
    fields = der.children(data, start, stop)
    if len(fields) < 5 or fields[0][0] != der.INTEGER:
        raise MalformedCms("SignerInfo lacks fields")
    issuer_der = serial = key_identifier = None
    sid_tag, sid_start, sid_stop = fields[1]
    if sid_tag == der.SEQUENCE:
        name_and_serial = der.children(data, sid_start, sid_stop)
        if len(name_and_serial) != 2 or [t for t, _, _ in name_and_serial] != [der.SEQUENCE, der.INTEGER]:
            raise MalformedCms("issuerAndSerialNumber is not a name and an integer")
        (_, name_start, name_stop), (_, serial_start, serial_stop) = name_and_serial
        issuer_der = data[der.element_start(name_start, name_stop):name_stop]
        serial = der.integer(data, serial_start, serial_stop, max_bytes=21)
    elif sid_tag == _SUBJECT_KEY_IDENTIFIER:
        key_identifier = data[sid_start:sid_stop]
    else:
        raise MalformedCms("unknown signer identifier")
    digest_oid = _algorithm(data, fields[2])
    position = 3
    signed_attributes = message_digest = content_type = None
    if fields[position][0] == _SIGNED_ATTRIBUTES:
        attributes_start, attributes_stop = fields[position][1], fields[position][2]
        # The signature covers the attributes with their universal SET OF tag, not the [0]
        # IMPLICIT tag they travel with (RFC 5652, 5.4).
        signed_attributes = b"\x31" + data[der.element_start(attributes_start, attributes_stop) + 1:attributes_stop]
        message_digest, content_type = _attributes(data, attributes_start, attributes_stop)
        position += 1
    if len(fields) < position + 2:
        raise MalformedCms("SignerInfo lacks its signature")
    signature_oid = _algorithm(data, fields[position])
    signature_tag, signature_start, signature_stop = fields[position + 1]
    if signature_tag != der.OCTET_STRING:
        raise MalformedCms("the signature is not an OCTET STRING")
    extra = fields[position + 2:]
    if len(extra) > 1 or (extra and extra[0][0] != der.context(1)):
        raise MalformedCms("unexpected fields after the signature")
    return Signer(issuer_der, serial, key_identifier, digest_oid, signature_oid, signed_attributes,
                  message_digest, content_type, data[signature_start:signature_stop])


def _algorithm(data: bytes, field: der.Element) -> str:
    tag, start, stop = field
    if tag != der.SEQUENCE:
        raise MalformedCms("an AlgorithmIdentifier is not a SEQUENCE")
    oid_start, oid_stop = der.expect(data, start, stop, der.OID, "algorithm")
    if oid_stop != stop:
        der.element(data, oid_stop, stop)  # parameters: one element, read as DER
    return der.oid(data, oid_start, oid_stop)


def _attributes(data: bytes, start: int, stop: int) -> tuple[bytes | None, str | None]:
    message_digest = content_type = None
    seen: set[str] = set()
    for tag, attribute_start, attribute_stop in der.children(data, start, stop):
        parts = der.children(data, attribute_start, attribute_stop)
        if tag != der.SEQUENCE or len(parts) != 2 or parts[0][0] != der.OID or parts[1][0] != der.SET:
            raise MalformedCms("a signed attribute is not a type and a set of values")
        (_, type_start, type_stop), (_, values_start, values_stop) = parts
        kind = der.oid(data, type_start, type_stop)
        values = der.children(data, values_start, values_stop)
        if kind in (ATTR_MESSAGE_DIGEST, ATTR_CONTENT_TYPE):
            if kind in seen or len(values) != 1:
                raise MalformedCms(f"signed attribute {kind} must occur once with one value")
            value_tag, value_start, value_stop = values[0]
            if kind == ATTR_MESSAGE_DIGEST:
                if value_tag != der.OCTET_STRING:
                    raise MalformedCms("messageDigest is not an OCTET STRING")
                message_digest = data[value_start:value_stop]
            else:
                if value_tag != der.OID:
                    raise MalformedCms("contentType is not an OBJECT IDENTIFIER")
                content_type = der.oid(data, value_start, value_stop)
        seen.add(kind)
    return message_digest, content_type
