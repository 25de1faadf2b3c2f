"""The signer's own claim of when it signed: the CMS `signingTime` signed attribute (RFC 5652,
11.3), which NCALayer and Kalkan set from the signer's clock. Not part of what makes a signature
valid (a device's clock may be off); the offline audit compares it with the time the service
stored. Read apart from `cms.parse_signed_data`, off the vote path."""

from __future__ import annotations

from datetime import UTC, datetime

from asn1crypto import cms as asn1_cms

ATTR_SIGNING_TIME = "1.2.840.113549.1.9.5"


def signing_time(cms_der: bytes) -> datetime | None:
    """The signingTime of the CMS's one signer, in UTC; None when absent, unreadable or when the
    CMS has not exactly one signer."""
    try:
        signers = asn1_cms.ContentInfo.load(cms_der, strict=True)["content"]["signer_infos"]
        if len(signers) != 1 or signers[0]["signed_attrs"].contents is None:
            return None
        found = [a for a in signers[0]["signed_attrs"] if a["type"].dotted == ATTR_SIGNING_TIME]
        if len(found) != 1 or len(found[0]["values"]) != 1:
            return None
        moment = found[0]["values"][0].native
    except Exception:  # hostile bytes: asn1crypto raises many types; none is a signing time
        return None
    return moment.astimezone(UTC) if isinstance(moment, datetime) and moment.tzinfo else None
