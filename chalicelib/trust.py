"""Trust anchors and certificate paths.

Every certificate in the trust folder is an anchor, self-signed or not (an operator may trust an
NCA intermediate directly). A path is accepted only when every link's signature verifies with
the issuer's key: names are never enough, so a rogue CA with byte-identical names fails.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from chalicelib import algorithms
from chalicelib.certificate import Certificate, CertificateError
from chalicelib.rejection import Rejection

MAX_PATH_LENGTH = 6  # leaf + intermediates + anchor; NCA paths have three
MAX_CANDIDATES = 16  # issuers tried per link: bounds work an attacker can cause
CERTIFICATE_SUFFIXES = (".pem", ".cer", ".crt", ".der")


class TrustConfigurationError(RuntimeError):
    """The trust or CRL folder cannot be used; the service must not start with it."""


class LinkCache:
    """Remembers verified (child, issuer) links: the intermediate-to-root link is the same on
    almost every vote, so each is verified once per process."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._entries: OrderedDict[tuple[bytes, bytes], bool] = OrderedDict()

    def get(self, key: tuple[bytes, bytes]) -> bool | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: tuple[bytes, bytes], value: bool) -> None:
        self._entries[key] = value
        if len(self._entries) > self._size:
            self._entries.popitem(last=False)


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
        self._links = LinkCache()

    @classmethod
    def from_directory(cls, folder: str | Path) -> TrustStore:
        path = Path(folder)
        if not path.is_dir():
            raise TrustConfigurationError(f"trust folder {path} does not exist")
        anchors: list[Certificate] = []
        for file in sorted(path.iterdir()):
            if file.suffix.lower() not in CERTIFICATE_SUFFIXES:
                continue
            try:
                anchors.extend(Certificate.from_pem_or_der(file.read_bytes()))
            except CertificateError as error:
                raise TrustConfigurationError(f"{file.name}: {error}") from None
        if not anchors:
            raise TrustConfigurationError(f"trust folder {path} holds no certificate")
        return cls(anchors)

    def is_anchor(self, certificate: Certificate) -> bool:
        return certificate.fingerprint in self._fingerprints

    def anchors_named(self, subject_der: bytes) -> list[Certificate]:
        return self._by_subject.get(subject_der, [])

    def path(self, leaf: Certificate, intermediates: Sequence[Certificate], at: datetime) -> list[Certificate]:
        """The path leaf → … → anchor, every link verified and every certificate valid at `at`.

        Raises Rejection `untrusted_certificate`, `certificate_expired` or
        `certificate_not_yet_valid`.
        """
        pool: dict[bytes, list[Certificate]] = {}
        for certificate in intermediates:
            if not self.is_anchor(certificate):
                pool.setdefault(certificate.subject_der, []).append(certificate)
        reasons: list[str] = []
        found = self._extend([leaf], pool, reasons)
        if found is None:
            raise Rejection("untrusted_certificate", "; ".join(dict.fromkeys(reasons)) or "no path")
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

    def _link_holds(self, child: Certificate, issuer: Certificate) -> bool:
        key = (child.fingerprint, issuer.fingerprint)
        cached = self._links.get(key)
        if cached is None:
            cached = signed_by(child.tbs, child.signature_oid, child.signature, issuer)
            self._links.put(key, cached)
        return cached


def _intermediates_below(path: list[Certificate]) -> int:
    # path[0] is the leaf; every certificate after it is a CA that is not self-issued.
    return sum(1 for c in path[1:] if not c.is_self_issued)


def _check_validity(path: list[Certificate], at: datetime) -> None:
    for certificate in path:
        if at < certificate.not_before:
            raise Rejection("certificate_not_yet_valid", f"serial {certificate.serial_hex}")
        if at > certificate.not_after:
            raise Rejection("certificate_expired", f"serial {certificate.serial_hex}")
