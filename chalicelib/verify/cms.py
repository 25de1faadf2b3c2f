"""CMS SignedData (RFC 5652) as NCALayer and Kalkan produce it, read into plain values.

This module only reads structure; it decides nothing about trust. Everything a hostile sender
can put in the bytes ends as `MalformedCms`, never as another exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from asn1crypto import cms as asn1_cms

ID_SIGNED_DATA = "1.2.840.113549.1.7.2"
ID_DATA = "1.2.840.113549.1.7.1"
ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

SET_OF_TAG = 0x31


class MalformedCms(ValueError):
    """Not a CMS SignedData we can read; the text says what is wrong (safe to log)."""


@dataclass(frozen=True)
class Signer:
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


@dataclass(frozen=True)
class SignedData:
    content_type: str
    content: bytes | None  # None when detached
    certificates: tuple[bytes, ...]
    signers: tuple[Signer, ...]


def parse_signed_data(der: bytes) -> SignedData:
    try:
        info = asn1_cms.ContentInfo.load(der, strict=True)
        if info["content_type"].dotted != ID_SIGNED_DATA:
            raise MalformedCms("not a CMS SignedData")
        signed = info["content"]
        encapsulated = signed["encap_content_info"]
        if encapsulated["content_type"].dotted != ID_DATA:
            raise MalformedCms("encapsulated content is not id-data")
        raw_content = encapsulated["content"].native
        content = None if raw_content is None else bytes(raw_content)
        certificates = tuple(
            choice.chosen.dump()
            for choice in (signed["certificates"] or [])
            if choice.name == "certificate"
        )
        signers = tuple(_signer(info) for info in signed["signer_infos"])
        return SignedData(
            content_type=encapsulated["content_type"].dotted,
            content=content,
            certificates=certificates,
            signers=signers,
        )
    except MalformedCms:
        raise
    except Exception as error:  # asn1crypto raises many types on hostile bytes; all mean "malformed"
        raise MalformedCms(f"CMS cannot be parsed: {type(error).__name__}") from None


def _signer(info: asn1_cms.SignerInfo) -> Signer:
    sid = info["sid"]
    issuer_der = serial = key_identifier = None
    if sid.name == "issuer_and_serial_number":
        issuer_der = sid.chosen["issuer"].dump()
        serial = sid.chosen["serial_number"].native
    else:
        key_identifier = bytes(sid.chosen.native)
    attributes = info["signed_attrs"]
    signed_attributes = message_digest = content_type = None
    if attributes.contents is not None and len(attributes):
        # The signature covers the attributes with their universal SET OF tag, not the [0]
        # IMPLICIT tag they travel with (RFC 5652, 5.4).
        encoded = attributes.dump()
        signed_attributes = bytes([SET_OF_TAG]) + encoded[1:]
        message_digest = _single_value(attributes, ATTR_MESSAGE_DIGEST)
        content_type_value = _single_value(attributes, ATTR_CONTENT_TYPE)
        content_type = None if content_type_value is None else content_type_value.dotted
        if message_digest is not None:
            message_digest = bytes(message_digest.native)
    return Signer(
        issuer_der=issuer_der,
        serial=serial,
        key_identifier=key_identifier,
        digest_oid=info["digest_algorithm"]["algorithm"].dotted,
        signature_oid=info["signature_algorithm"]["algorithm"].dotted,
        signed_attributes=signed_attributes,
        message_digest=message_digest,
        content_type_attribute=content_type,
        signature=bytes(info["signature"].native),
    )


def _single_value(attributes: asn1_cms.CMSAttributes, oid: str) -> Any:
    found = [a for a in attributes if a["type"].dotted == oid]
    if not found:
        return None
    if len(found) > 1 or len(found[0]["values"]) != 1:
        raise MalformedCms(f"signed attribute {oid} must occur once with one value")
    return found[0]["values"][0]
