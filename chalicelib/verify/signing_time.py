"""The signer's own claim of when it signed: the CMS `signingTime` signed attribute (RFC 5652,
11.3), which NCALayer and Kalkan set from the signer's clock. Not part of what makes a signature
valid (a device's clock may be off); the offline audit compares it with the time the service
stored. Read from the signed attributes `cms` cuts out, with `der`; off the vote path."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.verify import der
from chalicelib.verify.cms import MalformedCms, parse_signed_data
from chalicelib.verify.der import DerError

ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"


def signing_time(cms_der: bytes) -> datetime | None:
    """The signingTime of the CMS's one signer, in UTC; None when absent, unreadable, or when the
    CMS has not exactly one signer."""
    try:
        signers = parse_signed_data(cms_der).signers
        if len(signers) != 1 or signers[0].signed_attributes is None:
            return None
        attributes = signers[0].signed_attributes  # SET OF Attribute, DER
        _, start, stop = der.element(attributes, 0, len(attributes))
        found = []
        for _, attribute_start, attribute_stop in der.children(attributes, start, stop):
            (_, type_start, type_stop), (_, values_start, values_stop) = der.children(
                attributes, attribute_start, attribute_stop)
            if der.oid(attributes, type_start, type_stop) == ATTR_SIGNING_TIME:
                found.append(der.children(attributes, values_start, values_stop))
        if len(found) != 1 or len(found[0]) != 1:
            return None
        tag, value_start, value_stop = found[0][0]
        return der.time(attributes, tag, value_start, value_stop).astimezone(UTC)
    except (MalformedCms, DerError, ValueError):  # hostile bytes: no signing time to compare with
        return None
