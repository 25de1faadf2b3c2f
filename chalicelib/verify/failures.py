"""Why a signed message was refused: one exception with one code a reason.

The codes are this library's own vocabulary; the voting service maps them onto its HTTP contract
(most keep their name there). `detail` is for operators' logs: it never carries an IIN, a name
or key material.
"""

from __future__ import annotations

from typing import ClassVar

MALFORMED = "malformed"  # the CMS or a certificate in it cannot be read
INVALID_SIGNATURE = "invalid_signature"  # digest or signature wrong, or an algorithm not supported
UNTRUSTED_CERTIFICATE = "untrusted_certificate"  # no path to a trust anchor
CERTIFICATE_EXPIRED = "certificate_expired"
CERTIFICATE_NOT_YET_VALID = "certificate_not_yet_valid"
CERTIFICATE_REVOKED = "certificate_revoked"
CERTIFICATE_NOT_FOR_SIGNING = "certificate_not_for_signing"  # an AUTH key, or no signing key usage
NOT_AN_INDIVIDUAL = "not_an_individual"  # a legal entity's key, or no IIN
REVOCATION_UNAVAILABLE = "revocation_unavailable"  # revocation cannot be checked now: fail closed

CODES = frozenset({
    MALFORMED, INVALID_SIGNATURE, UNTRUSTED_CERTIFICATE, CERTIFICATE_EXPIRED, CERTIFICATE_NOT_YET_VALID,
    CERTIFICATE_REVOKED, CERTIFICATE_NOT_FOR_SIGNING, NOT_AN_INDIVIDUAL, REVOCATION_UNAVAILABLE,
})


class Refusal(Exception):
    """A refusal with a code from a known set (`codes`), and a detail for logs."""

    codes: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, code: str, detail: str = "") -> None:
        if code not in self.codes:
            raise ValueError(f"unknown {type(self).__name__} code {code!r}")
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.detail!r})"


class VerificationError(Refusal):
    """The verifier's refusal: `code` (one of CODES) says why."""

    codes = CODES
