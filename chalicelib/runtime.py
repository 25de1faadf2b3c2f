"""Wiring: settings → trust, revocation, keys, storage, services. Built once per process (at the
first request of a Lambda container), never on the vote path."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from chalicelib.config import Settings
from chalicelib.revocation import RevocationStore
from chalicelib.secrets import Keys
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

    storage.configure(settings.table_prefix, settings.dynamodb_endpoint, settings.region)
    trust = TrustStore.from_directory(settings.trust_dir)
    revocation = (
        RevocationStore.from_directory(settings.crl_dir, trust, settings.crl_tolerance)
        if settings.crl_dir
        else RevocationStore(tolerance=settings.crl_tolerance)
    )
    log.info("trust_loaded anchors=%d crls=%d", len(trust.anchors), len(revocation))
    keys = Keys(settings.secret)
    verifier = SignatureVerifier(trust, revocation)
    voting = VotingService(verifier, keys, storage, contest_cache_seconds=settings.contest_cache_seconds)
    return Runtime(settings, keys, verifier, voting)


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
