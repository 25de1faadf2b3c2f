"""Certificate revocation lists: verified with their issuer's key, looked up in O(1).

Policy (also in the README): a CRL is used only if its signature verifies with the key of a
trusted CA of the same name. For each issuer the newest CRL (by thisUpdate) counts. A CRL past
its nextUpdate is still used for `tolerance` (default 24 h) and logged; beyond that, a signer
under that issuer gets `unavailable` (503): the service refuses to accept a vote it cannot check
rather than accept it silently.
"""

from __future__ import annotations

import itertools
import logging
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509

from chalicelib.certificate import Certificate
from chalicelib.rejection import Rejection
from chalicelib.trust import TrustConfigurationError, TrustStore, signed_by

DEFAULT_TOLERANCE = timedelta(hours=24)
CRL_SUFFIXES = (".crl", ".pem", ".der")

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationList:
    issuer: Certificate
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime] = field(repr=False)  # serial -> revocation time (UTC)

    @property
    def issuer_key(self) -> tuple[bytes, bytes]:
        return (self.issuer.subject_der, self.issuer.fingerprint)


class CrlError(ValueError):
    """A CRL that cannot be read or whose signature does not verify with a trusted issuer."""


def read_crl(data: bytes, trust: TrustStore) -> RevocationList:
    """Parse a CRL (PEM or DER) and verify it with the trusted CA that issued it."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            crl = x509.load_pem_x509_crl(data) if b"-----BEGIN" in data else x509.load_der_x509_crl(data)
            issuer_der = crl.issuer.public_bytes()
            entries = {entry.serial_number: entry.revocation_date_utc for entry in crl}
    except Exception as error:  # any parse failure of untrusted bytes means "not a CRL"
        raise CrlError(f"not a CRL: {type(error).__name__}") from None
    for issuer in trust.anchors_named(issuer_der):
        if not issuer.may_sign_crls:
            continue
        if signed_by(crl.tbs_certlist_bytes, crl.signature_algorithm_oid.dotted_string, crl.signature, issuer):
            return RevocationList(issuer, crl.last_update_utc, crl.next_update_utc, entries)
    raise CrlError(f"CRL of {crl.issuer.rfc4514_string()} is not signed by a trusted CA of that name")


class RevocationStore:
    def __init__(self, lists: Iterable[RevocationList] = (), tolerance: timedelta = DEFAULT_TOLERANCE) -> None:
        self.tolerance = tolerance
        self._newest: dict[tuple[bytes, bytes], RevocationList] = {}
        for crl in lists:
            held = self._newest.get(crl.issuer_key)
            if held is None or crl.this_update > held.this_update:
                self._newest[crl.issuer_key] = crl

    @classmethod
    def from_directory(
        cls, folder: str | Path, trust: TrustStore, tolerance: timedelta = DEFAULT_TOLERANCE
    ) -> RevocationStore:
        path = Path(folder)
        if not path.is_dir():
            raise TrustConfigurationError(f"CRL folder {path} does not exist")
        lists = []
        for file in sorted(path.iterdir()):
            if file.suffix.lower() not in CRL_SUFFIXES:
                continue
            try:
                lists.append(read_crl(file.read_bytes(), trust))
            except CrlError as error:
                # One bad file must not stop the service; it is loud in the logs instead.
                log.error("crl_rejected file=%s reason=%s", file.name, error)
        return cls(lists, tolerance)

    def __len__(self) -> int:
        return len(self._newest)

    def list_for(self, issuer: Certificate) -> RevocationList | None:
        return self._newest.get((issuer.subject_der, issuer.fingerprint))

    def check(self, certificate: Certificate, issuer: Certificate, at: datetime) -> None:
        """Raise `certificate_revoked` if the issuer's CRL lists the certificate as revoked at
        `at`, `unavailable` if that CRL is too stale to rely on."""
        crl = self.list_for(issuer)
        if crl is None:
            return
        if crl.next_update is not None and at > crl.next_update:
            if at > crl.next_update + self.tolerance:
                raise Rejection("unavailable", "the issuer's CRL is stale beyond tolerance")
            log.error("crl_stale issuer=%s next_update=%s", issuer.subject_text, crl.next_update.isoformat())
        revoked_at = crl.revoked.get(certificate.serial)
        if revoked_at is not None and revoked_at <= at:
            raise Rejection("certificate_revoked", f"serial {certificate.serial_hex}")

    def check_path(self, path: list[Certificate], at: datetime) -> None:
        for child, issuer in itertools.pairwise(path):
            self.check(child, issuer, at)
