"""Revocation on the vote path: the compact index of each CA (`revocation_index`), never a CRL.

Policy (also in the README, "Revocation"):
- Every certificate of a path below its trust anchor needs a usable index of its issuer. Without
  one — none made (no CRL configured, every one refused, its CA not in the trust folder or not
  allowed to sign CRLs), or the index refused — the check fails closed: `revocation_unavailable`
  (503), unless the issuer's fingerprint is in `optional` (VOTING_CRL_OPTIONAL, development only).
- A certificate the index lists as revoked at or before the moment of verification is
  `certificate_revoked`, however stale the index.
- An index past its nextUpdate is still used for `tolerance` (default 24 h) and reported; beyond
  that, signers under that issuer get `revocation_unavailable` rather than a silent accept.

Where indexes come from is the caller's: `HeldIndexes` holds some (tests, the offline audit, which
builds them in its own process from a CRL folder), `RefreshingIndexes` reads each CA's through a
`fetch` (S3 or a folder), once, and again only when its ETag changed.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.failures import CERTIFICATE_REVOKED, REVOCATION_UNAVAILABLE, VerificationError
from chalicelib.verify.revocation_index import IndexRefused, RevocationIndex, index_name, read_index

DEFAULT_TOLERANCE = timedelta(hours=24)

# What the caller is told, for its logs and metrics (`Alarm`):
STALE = "stale"  # the issuer's index is past nextUpdate, still used within the tolerance
STALE_BEYOND_TOLERANCE = "stale_beyond_tolerance"  # ... and beyond it: signers get 503
NO_CRL = "no_crl"  # no usable index of the issuer: signers get 503
Alarm = Callable[[str, Certificate], None]


class RevocationCheck(Protocol):
    def check_path(self, path: list[Certificate], at: datetime) -> None: ...


class IndexSource(Protocol):
    def index_for(self, issuer: Certificate) -> RevocationIndex | None: ...


class Revocation:
    """The revocation step of a verification: fail closed, from each issuer's index."""

    def __init__(self, indexes: IndexSource, tolerance: timedelta = DEFAULT_TOLERANCE,
                 optional: Iterable[bytes] = (), alarm: Alarm | None = None) -> None:
        self.indexes = indexes
        self.tolerance = tolerance
        self.optional = frozenset(optional)
        self._alarm = alarm

    def check(self, certificate: Certificate, issuer: Certificate, at: datetime) -> None:
        """Raise `certificate_revoked` if the issuer's index revokes the certificate as of `at`,
        `revocation_unavailable` if the issuer has no index fresh enough to say."""
        index = self.indexes.index_for(issuer)
        if index is None:
            self._unavailable(issuer, NO_CRL, "no usable CRL of the issuing CA")
            return
        revoked_at = index.revoked_at(certificate.serial)
        if revoked_at is not None and revoked_at <= at.timestamp():
            # Listed is revoked, however stale the list. No serial in the detail: it reaches the log.
            position = "the signer's certificate" if not certificate.is_ca else "a CA of the path"
            raise VerificationError(CERTIFICATE_REVOKED, position)
        if at > index.next_update:
            if at <= index.next_update + self.tolerance:
                self._tell(STALE, issuer)
            else:
                self._unavailable(issuer, STALE_BEYOND_TOLERANCE, "the issuing CA's CRL is stale beyond tolerance")

    def check_path(self, path: list[Certificate], at: datetime) -> None:
        # path[-1] is the trust anchor: every certificate below it is checked against its issuer,
        # from the top, so that a revoked CA is said as such even when its own CRL is missing.
        for child, issuer in reversed(list(itertools.pairwise(path))):
            self.check(child, issuer, at)

    def _unavailable(self, issuer: Certificate, kind: str, detail: str) -> None:
        """Fail closed, unless the issuer may do without a CRL (it is optional)."""
        if issuer.fingerprint in self.optional:
            return
        self._tell(kind, issuer)
        raise VerificationError(REVOCATION_UNAVAILABLE, detail)

    def _tell(self, kind: str, issuer: Certificate) -> None:
        if self._alarm is not None:
            self._alarm(kind, issuer)


class HeldIndexes:
    """Indexes already in memory, by their issuer's fingerprint."""

    def __init__(self, indexes: Iterable[RevocationIndex] = ()) -> None:
        self._by_issuer = {index.issuer_fingerprint: index for index in indexes}

    def __len__(self) -> int:
        return len(self._by_issuer)

    def index_for(self, issuer: Certificate) -> RevocationIndex | None:
        return self._by_issuer.get(issuer.fingerprint)


class Unchanged:
    """What `fetch` answers when the stored index still has the ETag it was asked about."""


UNCHANGED = Unchanged()
# fetch(name, etag) -> (bytes, etag) of the index named `name`; UNCHANGED when its ETag is still
# `etag`; None when there is none. Raises OSError when the store cannot be read.
Fetch = Callable[[str, str | None], "tuple[bytes | bytearray, str] | Unchanged | None"]
# Told about trouble with an issuer's stored index: (kind, issuer's name) for logs and metrics.
IndexProblem = Callable[[str, str], None]
UNREACHABLE, REFUSED, OLDER, MISSING = "unreachable", "refused", "older", "missing"


@dataclass
class _Held:
    index: RevocationIndex | None
    etag: str | None
    checked_at: datetime


class RefreshingIndexes:
    """Each CA's index, read on first need with one `fetch` and kept; asked again at most every
    `max_age` (or `retry` while there is none), with its ETag, so an unchanged index costs one
    conditional request and no reading. What is fetched is checked like a CRL is: a refused index
    (truncated, altered, another CA's, another key), an unreachable store or an index older than
    the one held never replace it; the held one's own nextUpdate then decides. The refresh runs
    inside a request, under a lock: a container reloads one index at a time."""

    def __init__(self, fetch: Fetch, key: bytes, max_age: timedelta = timedelta(minutes=5),
                 retry: timedelta = timedelta(seconds=30), clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 on_problem: IndexProblem | None = None) -> None:
        self._fetch, self._key, self._clock = fetch, key, clock
        self._max_age, self._retry = max_age, retry
        self._on_problem = on_problem
        self._held: dict[bytes, _Held] = {}
        self._lock = threading.Lock()

    def index_for(self, issuer: Certificate) -> RevocationIndex | None:
        held = self._held.get(issuer.fingerprint)
        if held is not None and not self._due(held, self._clock()):
            return held.index
        with self._lock:
            held = self._held.get(issuer.fingerprint)
            now = self._clock()
            if held is None or self._due(held, now):
                held = self._held[issuer.fingerprint] = self._refreshed(issuer, held, now)
            return held.index

    def _due(self, held: _Held, now: datetime) -> bool:
        return now - held.checked_at >= (self._max_age if held.index is not None else self._retry)

    def _refreshed(self, issuer: Certificate, held: _Held | None, now: datetime) -> _Held:
        kept = _Held(held.index if held else None, held.etag if held else None, now)
        try:
            fetched = self._fetch(index_name(issuer.fingerprint), kept.etag if kept.index else None)
        except OSError as error:
            return self._problem(UNREACHABLE, issuer, kept, type(error).__name__)
        if isinstance(fetched, Unchanged):
            return kept
        if fetched is None:
            return self._problem(MISSING, issuer, kept)
        data, etag = fetched
        try:
            index = read_index(data, self._key, issuer.fingerprint)
        except IndexRefused as error:
            return self._problem(REFUSED, issuer, kept, str(error))
        if kept.index is not None and index.version < kept.index.version:
            return self._problem(OLDER, issuer, kept)
        return _Held(index, etag, now)

    def _problem(self, kind: str, issuer: Certificate, kept: _Held, detail: str = "") -> _Held:
        if self._on_problem is not None:
            self._on_problem(kind, f"{issuer.subject_text[:200]}{': ' + detail if detail else ''}")
        return kept
