"""Wiring: settings → trust, revocation, keys, storage, services. Built once per process (at the
first request of a Lambda container), never on the vote path."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from chalicelib.config import ConfigurationError, Settings
from chalicelib.secrets import Keys

if TYPE_CHECKING:
    # The verifier's modules (asn1crypto, the trust store) load in build(), at the first request.
    from chalicelib.crl_refresh import RefreshReport, S3CrlBucket
    from chalicelib.revocation import RefreshingRevocation, RevocationStore
    from chalicelib.signature import SignatureVerifier
    from chalicelib.trust import TrustStore
    from chalicelib.voting import VotingService

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    keys: Keys
    verifier: SignatureVerifier
    voting: VotingService


def build(settings: Settings) -> Runtime:
    from chalicelib import storage
    from chalicelib.revocation import RevocationStore
    from chalicelib.signature import SignatureVerifier
    from chalicelib.trust import TrustStore
    from chalicelib.voting import VotingService

    storage.configure(settings.table_prefix, settings.dynamodb_endpoint, settings.region)
    trust = TrustStore.from_directory(settings.trust_dir)
    revocation = revocation_for(settings, trust)
    # A refreshing store loads its CRLs on first use, not here: the authorizer never needs them.
    crls = len(revocation) if isinstance(revocation, RevocationStore) else "from the CRL bucket"
    log.info("trust_loaded anchors=%d crls=%s", len(trust.anchors), crls)
    keys = Keys(settings.secret)
    verifier = SignatureVerifier(trust, revocation)
    voting = VotingService(verifier, keys, storage, contest_cache_seconds=settings.contest_cache_seconds)
    return Runtime(settings, keys, verifier, voting)


def revocation_for(settings: Settings, trust: TrustStore) -> RevocationStore | RefreshingRevocation:
    """CRLs from the CRL folder and, in AWS, the newest ones the refresh job stored in S3."""
    from chalicelib.revocation import RefreshingRevocation, RevocationStore
    if settings.crl_bucket is None:
        if settings.crl_dir:
            return RevocationStore.from_directory(settings.crl_dir, trust, settings.crl_tolerance)
        return RevocationStore(tolerance=settings.crl_tolerance)
    bucket = crl_bucket(settings)
    folder = Path(settings.crl_dir) if settings.crl_dir else None

    def load() -> list[bytes]:
        local = [f.read_bytes() for f in sorted(folder.iterdir()) if f.is_file()] if folder else []
        return local + bucket.all()

    return RefreshingRevocation(load, trust, settings.crl_tolerance, timedelta(seconds=settings.crl_cache_seconds))


def crl_bucket(settings: Settings) -> S3CrlBucket:
    from chalicelib.crl_refresh import S3CrlBucket

    return S3CrlBucket(settings.crl_bucket, settings.crl_prefix)


def refresh_crls() -> RefreshReport:
    """The scheduled job: download, verify and store the configured CRLs."""
    from chalicelib.crl_refresh import refresh_crls as refresh
    from chalicelib.trust import TrustStore

    settings = Settings.from_environment(require_secret=False)
    if settings.crl_bucket is None or not settings.crl_urls:
        raise ConfigurationError("VOTING_CRL_BUCKET and VOTING_CRL_URLS must be set for the CRL refresh")
    trust = TrustStore.from_directory(settings.trust_dir)
    return refresh(settings.crl_urls, trust, crl_bucket(settings), prefix=settings.crl_prefix)


_lock = threading.Lock()
_current: Runtime | None = None


def current() -> Runtime:
    global _current
    with _lock:
        if _current is None:
            _current = build(Settings.from_environment())
        return _current


def install(runtime: Runtime | None) -> None:
    """Use this runtime (tests, tools); None rebuilds from the environment on next use."""
    global _current
    with _lock:
        _current = runtime
