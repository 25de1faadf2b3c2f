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
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography import x509

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import CERTIFICATE_REVOKED, REVOCATION_UNAVAILABLE, VerificationError
from chalicelib.verify.trust import TrustStore, signed_by

DEFAULT_TOLERANCE = timedelta(hours=24)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RevocationList:
    issuer: Certificate
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, datetime] = field(repr=False)  # serial -> revocation time (UTC)
    number: int | None = None  # cRLNumber
    delta_base: int | None = None  # for a delta CRL: the base cRLNumber it extends

    @property
    def is_delta(self) -> bool:
        return self.delta_base is not None

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
            number = _extension_value(crl, x509.CRLNumber, "crl_number")
            delta_base = _extension_value(crl, x509.DeltaCRLIndicator, "crl_number")
    except Exception as error:  # any parse failure of untrusted bytes means "not a CRL"
        raise CrlError(f"not a CRL: {type(error).__name__}") from None
    for issuer in trust.anchors_named(issuer_der):
        if not issuer.may_sign_crls:
            continue
        if signed_by(crl.tbs_certlist_bytes, crl.signature_algorithm_oid.dotted_string, crl.signature, issuer):
            return RevocationList(issuer, crl.last_update_utc, crl.next_update_utc, entries, number, delta_base)
    raise CrlError(f"CRL of {crl.issuer.rfc4514_string()} is not signed by a trusted CA of that name")


def read_crls(named: Iterable[tuple[str, bytes]], trust: TrustStore) -> tuple[list[RevocationList], list[str]]:
    """Every CRL that verifies, and a line per one refused (its name and why): one bad file must
    not stop the service, and must be loud in the logs instead."""
    lists, refused = [], []
    for name, data in named:
        try:
            lists.append(read_crl(data, trust))
        except CrlError as error:
            refused.append(f"{name[:200]}: {error}")
    return lists, refused


def _extension_value(crl: x509.CertificateRevocationList, kind: type, attribute: str) -> int | None:
    try:
        return getattr(crl.extensions.get_extension_for_class(kind).value, attribute)
    except x509.ExtensionNotFound:
        return None


def _merge(base: RevocationList, delta: RevocationList | None) -> RevocationList:
    """A base CRL completed by a delta CRL that extends it (or a newer base)."""
    if delta is None or base.number is None or delta.delta_base is None or delta.delta_base > base.number:
        return base
    return RevocationList(base.issuer, delta.this_update, delta.next_update, {**base.revoked, **delta.revoked},
                          delta.number, None)


# Told when a CRL past its nextUpdate is used (False) or refused as too stale (True): for metrics.
StaleCrl = Callable[[Certificate, bool], None]


class RevocationCheck(Protocol):
    def check_path(self, path: list[Certificate], at: datetime) -> None: ...


class RevocationStore:
    """For each issuer the newest base CRL, completed by the newest delta CRL that extends it."""

    def __init__(self, lists: Iterable[RevocationList] = (), tolerance: timedelta = DEFAULT_TOLERANCE,
                 on_stale: StaleCrl | None = None) -> None:
        self.tolerance = tolerance
        self._on_stale = on_stale
        bases: dict[tuple[bytes, bytes], RevocationList] = {}
        deltas: dict[tuple[bytes, bytes], RevocationList] = {}
        for crl in lists:
            pool = deltas if crl.is_delta else bases
            held = pool.get(crl.issuer_key)
            if held is None or crl.this_update > held.this_update:
                pool[crl.issuer_key] = crl
        self._newest = {key: _merge(base, deltas.get(key)) for key, base in bases.items()}

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
            beyond = at > crl.next_update + self.tolerance
            if self._on_stale is not None:
                self._on_stale(issuer, beyond)
            if beyond:
                raise VerificationError(REVOCATION_UNAVAILABLE, "the issuer's CRL is stale beyond tolerance")
        revoked_at = crl.revoked.get(certificate.serial)
        if revoked_at is not None and revoked_at <= at:
            # No serial in the detail: it reaches the request's log line.
            position = "the signer's certificate" if not certificate.is_ca else "a CA of the path"
            raise VerificationError(CERTIFICATE_REVOKED, position)

    def check_path(self, path: list[Certificate], at: datetime) -> None:
        for child, issuer in itertools.pairwise(path):
            self.check(child, issuer, at)


class RefreshingRevocation:
    """The newest verified CRLs, reloaded at most every `max_age` (the vote path must not fetch
    CRLs per request). `load` returns raw CRLs with their names (from S3 in AWS); each is verified again here, so
    a tampered object in the bucket is ignored like any bad CRL. If a reload fails, the CRLs
    already held stay in use and their own staleness rule applies."""

    def __init__(
        self,
        load: Callable[[], Iterable[tuple[str, bytes]]],
        trust: TrustStore,
        tolerance: timedelta = DEFAULT_TOLERANCE,
        max_age: timedelta = timedelta(minutes=5),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        on_stale: StaleCrl | None = None,
    ) -> None:
        self._load, self._trust, self._tolerance, self._max_age, self._clock = load, trust, tolerance, max_age, clock
        self._on_stale = on_stale
        self._store = RevocationStore(tolerance=tolerance, on_stale=on_stale)
        self._loaded_at: datetime | None = None
        self._lock = threading.Lock()

    def current(self) -> RevocationStore:
        now = self._clock()
        with self._lock:
            if self._loaded_at is None or now - self._loaded_at >= self._max_age:
                self._loaded_at = now
                self._store = self._reload()
            return self._store

    def _reload(self) -> RevocationStore:
        try:
            raw = list(self._load())
        except Exception as error:  # storage trouble must not stop voting: keep what we have
            log.error("crl_reload_failed reason=%s", type(error).__name__)
            return self._store
        lists, refused = read_crls(raw, self._trust)
        for line in refused:
            log.error("crl_rejected %s", line)
        return RevocationStore(lists, self._tolerance, self._on_stale)

    def __len__(self) -> int:
        return len(self.current())

    def check_path(self, path: list[Certificate], at: datetime) -> None:
        self.current().check_path(path, at)
