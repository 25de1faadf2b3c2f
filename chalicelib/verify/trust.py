"""Trust anchors and certificate paths.

Every certificate in the trust folder is an anchor, self-signed or not (an operator may trust an
NCA intermediate directly). A path is accepted only when every link's signature verifies with
the issuer's key: names are never enough, so a rogue CA with byte-identical names fails.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime

from chalicelib.verify import algorithms
from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import (
    CERTIFICATE_EXPIRED,
    CERTIFICATE_NOT_YET_VALID,
    UNTRUSTED_CERTIFICATE,
    VerificationError,
)

MAX_PATH_LENGTH = 6  # leaf + intermediates + anchor; NCA paths have three
MAX_CANDIDATES = 16  # issuers tried per link: bounds work an attacker can cause


def signed_by(child_tbs: bytes, signature_oid: str, signature: bytes, issuer: Certificate) -> bool:
    """Whether `issuer`'s key made `signature` over `child_tbs` (a certificate's or a CRL's)."""
    key = algorithms.PublicKey(issuer.spki_der, issuer.public_key_oid)
    try:
        return algorithms.verify(key, signature_oid, child_tbs, signature)
    except (algorithms.UnsupportedAlgorithm, algorithms.MalformedKey):
        return False


class TrustStore:
    def __init__(self, anchors: Iterable[Certificate]) -> None:
        self.anchors = tuple(dict.fromkeys(anchors))
        self._fingerprints = {a.fingerprint for a in self.anchors}
        self._by_subject: dict[bytes, list[Certificate]] = {}
        for anchor in self.anchors:
            self._by_subject.setdefault(anchor.subject_der, []).append(anchor)
        # Verified (child, issuer) links: the intermediate-to-root link is the same on almost
        # every vote, so each is verified once per process.
        self._link_holds = functools.lru_cache(maxsize=4096)(self._verify_link)

    def is_anchor(self, certificate: Certificate) -> bool:
        return certificate.fingerprint in self._fingerprints

    def anchors_named(self, subject_der: bytes) -> list[Certificate]:
        return self._by_subject.get(subject_der, [])

    def path(self, leaf: Certificate, intermediates: Sequence[Certificate], at: datetime) -> list[Certificate]:
        """The path leaf → … → anchor, every link verified and every certificate valid at `at`.

        Raises VerificationError `untrusted_certificate`, `certificate_expired` or
        `certificate_not_yet_valid`.
        """
        pool: dict[bytes, list[Certificate]] = {}
        for certificate in intermediates:
            if not self.is_anchor(certificate):
                pool.setdefault(certificate.subject_der, []).append(certificate)
        reasons: list[str] = []
        found = self._extend([leaf], pool, reasons)
        if found is None:
            raise VerificationError(UNTRUSTED_CERTIFICATE, "; ".join(dict.fromkeys(reasons)) or "no path")
        _check_validity(found, at)
        return found

    def _extend(
        self, path: list[Certificate], pool: dict[bytes, list[Certificate]], reasons: list[str]
    ) -> list[Certificate] | None:
        current = path[-1]
        if self.is_anchor(current):
            return path
        if len(path) >= MAX_PATH_LENGTH:
            reasons.append("path too long")
            return None
        candidates = (self.anchors_named(current.issuer_der) + pool.get(current.issuer_der, []))
        if not candidates:
            reasons.append("issuer not found")
        for issuer in candidates[:MAX_CANDIDATES]:
            if issuer in path:
                continue
            if not self._link_holds(current, issuer):
                reasons.append("a link's signature does not verify")
                continue
            if not (issuer.is_ca and issuer.may_sign_certificates):
                reasons.append("an issuer is not a CA")
                continue
            if issuer.path_length is not None and issuer.path_length < _intermediates_below(path):
                reasons.append("path length constraint exceeded")
                continue
            found = self._extend([*path, issuer], pool, reasons)
            if found is not None:
                return found
        return None

    @staticmethod
    def _verify_link(child: Certificate, issuer: Certificate) -> bool:
        return signed_by(child.tbs, child.signature_oid, child.signature, issuer)


def _intermediates_below(path: list[Certificate]) -> int:
    # path[0] is the leaf; every certificate after it is a CA that is not self-issued.
    return sum(1 for c in path[1:] if not c.is_self_issued)


def _check_validity(path: list[Certificate], at: datetime) -> None:
    for certificate in path:
        if at < certificate.not_before:
            raise VerificationError(CERTIFICATE_NOT_YET_VALID, f"serial {certificate.serial_hex}")
        if at > certificate.not_after:
            raise VerificationError(CERTIFICATE_EXPIRED, f"serial {certificate.serial_hex}")
