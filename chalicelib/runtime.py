"""The composition root: one `Settings` → the store, the keys, trust and revocation, the verifier
and the services, each built on first use and then kept for the process (a Lambda container, the
local stack, a CLI run). Nothing else wires parts together.

What each entry point takes of it:
- the API (voters): `public_reads` (the list, contests, results: from `contests`, the process's
  copies), `voting` (which seals evidence with the commission's public key, `sealer`) and `mobile`
  (eGov mobile's sessions);
- the admin routes and the authorizer: `sign_in`, `commission`, `authorize`;
- the closer (every minute): `closer` — store and clock only, no secret and no trust;
- the CRL refresher (every 15 minutes): `refresh_crls` — trust, the CRL bucket and the key that
  seals the revocation indexes (derived from the secret);
- the CLI (`manage.py`): `store`, `commission`, `closer`, and for the offline audit `verifier` and
  `commission_key` (the private key: KMS or a key file; never built by any function in AWS).
Parts an entry point does not touch are never built, so its role needs no right to them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.adapters import logs, metrics, telemetry
from chalicelib.settings import ConfigurationError, Settings, check_secret
from chalicelib.voting.clock import utc_now
from chalicelib.voting.keys import Keys

if TYPE_CHECKING:
    # The verifier, its trust store and revocation indexes are built with the first vote, not at
    # import (gmpy2 loads with the first GOST signature).
    from chalicelib.adapters.crl_sources import S3CrlBucket
    from chalicelib.adapters.pki_folders import IndexFolder
    from chalicelib.verify.certificate import Certificate
    from chalicelib.verify.crl_refresh import IndexStore, RefreshReport
    from chalicelib.verify.revocation import IndexSource, Revocation
    from chalicelib.verify.signature import SignatureVerifier
    from chalicelib.verify.trust import TrustStore
    from chalicelib.voting.admin_session import AdminSignIn
    from chalicelib.voting.casting import VotingService
    from chalicelib.voting.closing import Closer
    from chalicelib.voting.commission import Commission
    from chalicelib.voting.contest_cache import ContestCache
    from chalicelib.voting.mobile_signing import MobileSigning
    from chalicelib.voting.ports import CommissionKey, Store
    from chalicelib.voting.public_reads import PublicReads
    from chalicelib.voting.seal import Sealer
    from chalicelib.voting.timed_cache import TimedCache

HEALTH_SECONDS = 5.0


class Runtime:
    """Built from settings; a test or a tool may hand in its own store, clock, keys or verifier."""

    def __init__(self, settings: Settings, *, store: Store | None = None, clock: Callable[[], datetime] = utc_now,
                 keys: Keys | None = None, verifier: SignatureVerifier | None = None, sealer: Sealer | None = None,
                 commission_key: CommissionKey | None = None) -> None:
        self.settings = settings
        self.clock = clock
        given: dict[str, Any] = {"store": store, "keys": keys, "verifier": verifier, "sealer": sealer,
                                 "commission_key": commission_key}
        for name, part in given.items():
            if part is not None:
                self.__dict__[name] = part  # what `cached_property` would have built

    # Storage and secrets

    @cached_property
    def store(self) -> Store:
        from chalicelib.adapters.dynamodb import DynamoStore

        s = self.settings
        return DynamoStore(s.table_prefix, s.dynamodb_endpoint, s.region)

    @cached_property
    def keys(self) -> Keys:
        secret = self.settings.secret
        if secret is None and self.settings.secret_parameter:
            from chalicelib.adapters.ssm import read_secret

            secret = check_secret(read_secret(self.settings.secret_parameter), local_stack=False)  # SSM: AWS
        if secret is None:
            raise ConfigurationError("VOTING_SECRET (or VOTING_SECRET_PARAM) is not set")
        return Keys(secret)

    # The commission's key: its public half seals every vote's evidence, its private half opens it

    @cached_property
    def sealer(self) -> Sealer:
        from chalicelib.voting.seal import Sealer, public_key_from_pem

        pem = self.settings.evidence_public_key
        if pem is None:
            raise ConfigurationError("VOTING_EVIDENCE_KEY is not set (the commission's public key, PEM): "
                                     "no vote is stored without its evidence sealed")
        try:
            sealer = Sealer(public_key_from_pem(pem))
        except ValueError as error:
            raise ConfigurationError(f"VOTING_EVIDENCE_KEY: {error}") from None
        logs.event("evidence_key_loaded", key_id=sealer.key_id.hex())
        return sealer

    @cached_property
    def commission_key(self) -> CommissionKey:
        from chalicelib.adapters.evidence_keys import KmsCommissionKey, read_key_file

        s = self.settings
        if s.evidence_kms_key:
            return KmsCommissionKey(s.evidence_kms_key, s.region)
        if s.evidence_key_file:
            return read_key_file(s.evidence_key_file, s.evidence_key_passphrase)
        raise ConfigurationError("the commission's key opens the evidence: set VOTING_EVIDENCE_KMS_KEY (in AWS, as "
                                 "the commission's audit role) or VOTING_EVIDENCE_KEY_FILE (a key file)")

    # Trust and revocation

    @cached_property
    def trust(self) -> TrustStore:
        from chalicelib.adapters.pki_folders import trust_from_folder

        return trust_from_folder(self.settings.required_trust_dir())

    @cached_property
    def revocation(self) -> Revocation:
        """The revocation step: fail closed, from each CA's index (README, "Revocation")."""
        from chalicelib.verify.revocation import Revocation

        s = self.settings
        return Revocation(self.revocation_indexes, s.crl_tolerance, s.crl_optional, _revocation_alarm)

    @cached_property
    def revocation_indexes(self) -> IndexSource:
        """Where each CA's index is read (on first need, not here: the authorizer never needs one):
        in AWS the CRL bucket, locally the folder the local refresher writes; without either (the
        offline audit, tools) the refresher runs in this process over the CRL folder."""
        s = self.settings
        if self.index_store is not None:
            from chalicelib.verify.revocation import RefreshingIndexes

            return RefreshingIndexes(self.index_store.fetch, self.keys.crl_index,
                                     timedelta(seconds=s.crl_cache_seconds), clock=self.clock,
                                     on_problem=_index_problem)
        from chalicelib.adapters.pki_folders import crls_in_folder
        from chalicelib.verify.crl_refresh import held_indexes_from_crls

        held, report = held_indexes_from_crls(crls_in_folder(s.crl_dir) if s.crl_dir else [], self.trust, self.clock())
        report_refresh(report)
        return held

    @cached_property
    def index_store(self) -> S3CrlBucket | IndexFolder | None:
        """Where each CA's revocation index is kept: the CRL bucket (AWS), else the index folder
        the local refresher writes; None without either."""
        s = self.settings
        if s.crl_bucket:
            from chalicelib.adapters.crl_sources import S3CrlBucket

            return S3CrlBucket(s.crl_bucket, s.crl_prefix)
        if s.crl_index_dir:
            from chalicelib.adapters.pki_folders import IndexFolder

            return IndexFolder(s.crl_index_dir)
        return None

    @cached_property
    def verifier(self) -> SignatureVerifier:
        from chalicelib.verify.signature import SignatureVerifier

        verifier = SignatureVerifier(self.trust, self.revocation)
        logs.event("trust_loaded", anchors=len(self.trust.anchors))
        return verifier

    # Services

    @cached_property
    def contests(self) -> ContestCache:
        """The process's copies of contests, shared by every public read and the vote path."""
        from chalicelib.voting.contest_cache import ContestCache

        return ContestCache(self.store, self.settings.contest_cache_seconds)

    @cached_property
    def public_reads(self) -> PublicReads:
        from chalicelib.voting.public_reads import PublicReads

        return PublicReads(self.contests, self.clock, self.settings.close_grace, self.settings.organisation)

    @cached_property
    def voting(self) -> VotingService:
        from chalicelib.voting.casting import VotingService

        return VotingService(self.verifier, self.keys, self.store, self.sealer, self.clock, self.contests)

    @cached_property
    def mobile(self) -> MobileSigning:
        """eGov mobile signing: off (ConfigurationError, so 503) unless the stage names its public address."""
        from chalicelib.voting.mobile_signing import MobileSigning

        s = self.settings
        if s.public_url is None or s.organisation is None:
            raise ConfigurationError("VOTING_PUBLIC_URL and VOTING_ORGANISATION are unset: eGov mobile signing is off")
        return MobileSigning(self.voting, self.store, s.public_url, s.organisation, observe=_session_metric)

    @cached_property
    def sign_in(self) -> AdminSignIn:
        from chalicelib.voting.admin_session import AdminSignIn

        return AdminSignIn(self.verifier, self.keys, self.settings.admin_iins, self.clock, self.store)

    @cached_property
    def commission(self) -> Commission:
        from chalicelib.voting.closing import NOTICE_MARGIN, ClosingPolicy
        from chalicelib.voting.commission import Commission

        policy = ClosingPolicy(self.settings.close_grace, self.settings.tally_workers,
                               timedelta(seconds=self.settings.contest_cache_seconds) + NOTICE_MARGIN)
        return Commission(self.store, self.clock, policy)

    @property
    def closer(self) -> Closer:
        return self.commission.closer

    def health(self) -> dict[str, str]:
        """What a canary and `bench/load.py` ask before trusting this process with votes: every part
        a vote needs built (or already there) and the tables reached by single-key reads, never a
        scan; "ok" or "failed" per part (the reason goes to the log, not to the caller). Checked at
        most once per 5 s per process, so a flood of health checks reads nothing more."""
        return self._health.get(None, self._check_health)

    @cached_property
    def _health(self) -> TimedCache[None, dict[str, str]]:
        from chalicelib.voting.timed_cache import TimedCache

        return TimedCache(HEALTH_SECONDS)

    def _check_health(self) -> dict[str, str]:
        parts: dict[str, Callable[[], object]] = {
            "secret": lambda: self.keys,
            "trust_anchors": lambda: self.verifier,  # built from the trust folder, which needs an anchor
            "evidence_key": lambda: self.sealer,
            "tables": self.store.reach,
        }
        checks = {"settings": "ok"}
        for name, build in parts.items():
            try:
                build()
                checks[name] = "ok"
            except Exception as error:  # every failure is a "failed" part; none escapes the check
                checks[name] = "failed"
                logs.event("health_check_failed", logging.ERROR, part=name, detail=f"{type(error).__name__}: "
                                                                                     f"{str(error)[:200]}")
        return checks

    def authorize(self, token: object, method_arn: str) -> dict[str, Any]:
        """The admin authorizer's decision for this token (see `adapters.admin_gate.decide`)."""
        from chalicelib.adapters.admin_gate import decide

        return decide(self.keys, self._admin_actors, token, method_arn, self.clock())

    @cached_property
    def _admin_actors(self) -> frozenset[str]:
        """The listed admins as their tokens name them (keyed hashes of the IINs): once per process."""
        from chalicelib.voting.admin_session import allowed_actors

        return allowed_actors(self.keys, self.settings.admin_iins)

    def refresh_crls(self, store: IndexStore | None = None) -> RefreshReport:
        """The CRL refresher (the schedule in AWS, `manage.py refresh-crls`, the local stack): read
        the CRLs of VOTING_CRL_URLS (else the files of VOTING_CRL_DIR), verify each new one once,
        and write each CA's index into the CRL bucket (else VOTING_CRL_INDEX_DIR) or `store`."""
        from chalicelib.adapters.crl_sources import download
        from chalicelib.adapters.pki_folders import crl_files
        from chalicelib.verify.crl_refresh import refresh

        s = self.settings
        fetch: Callable[[str], bytes]
        if s.crl_urls:
            sources, fetch = list(s.crl_urls), download
        elif s.crl_dir:
            files = {file.name: file for file in crl_files(s.crl_dir)}
            sources, fetch = list(files), lambda name: files[name].read_bytes()
        else:
            raise ConfigurationError("no CRLs to refresh: set VOTING_CRL_URLS (with VOTING_CRL_BUCKET, in AWS) "
                                     "or VOTING_CRL_DIR (with VOTING_CRL_INDEX_DIR, locally)")
        if store is None:
            store = self.index_store
        if store is None:
            raise ConfigurationError("VOTING_CRL_BUCKET (AWS) or VOTING_CRL_INDEX_DIR (locally) must be set: "
                                     "where the revocation indexes go")
        return refresh(sources, fetch, self.trust, store, self.keys.crl_index, self.clock())


# verify.revocation's STALE, STALE_BEYOND_TOLERANCE and NO_CRL (spelled out: that module, and
# cryptography with it, loads with the first vote, not at import) → metric and level.
_ALARMS = {"stale": (metrics.REVOCATION_STALE, logging.WARNING),
           "stale_beyond_tolerance": (metrics.REVOCATION_STALE_BEYOND, logging.ERROR),
           "no_crl": (metrics.REVOCATION_MISSING, logging.ERROR)}


def _revocation_alarm(kind: str, issuer: Certificate) -> None:
    """A vote under `issuer` met a stale index, or none: one count a vote (votes refused count).
    The issuer's name goes to the log line only, never into a metric's dimensions."""
    name, level = _ALARMS[kind]
    telemetry.count(name)
    logs.event("revocation_alarm", level, kind=kind, issuer=issuer.subject_text[:200])


def _index_problem(kind: str, detail: str) -> None:
    """A vote function could not take a CA's stored index (kind: unreachable, refused, older, missing)."""
    telemetry.count(metrics.index_problem(kind))
    logs.event("crl_index_unusable", logging.ERROR, kind=kind, issuer=detail[:200])


def report_refresh(report: RefreshReport) -> dict[str, int]:
    """The refresher's report as log lines and metrics (the schedule's, and the in-process
    refresh's); the counts it returns."""
    for source, reason, why in report.failed:
        telemetry.count(metrics.REVOCATION_REFRESH_FAILED)
        logs.event("crl_refresh_failed", logging.ERROR, url=source[:200], reason=reason, detail=why)
    for source in report.stale_sources:
        telemetry.count(metrics.REVOCATION_SOURCE_STALE)
        logs.event("crl_source_stale", logging.ERROR, url=source[:200])
    for source in report.older:
        telemetry.count(metrics.REVOCATION_SOURCE_OLDER)
        logs.event("crl_source_older", logging.ERROR, url=source[:200])
    for issuer, why in report.index_problems:
        telemetry.count(metrics.REVOCATION_INDEX_PROBLEM)
        logs.event("crl_index_problem", logging.ERROR, issuer=issuer, detail=why)
    for written in report.written:
        logs.event("crl_index_written", issuer=written.issuer, base_entries=written.base_entries,
                   delta_entries=written.delta_entries, crl_number=written.crl_number,
                   delta_number=written.delta_number, next_update=written.next_update.isoformat())
    if report.issued and report.as_of is not None:  # the oldest CA's revocation data, as of this run
        age = (report.as_of - min(report.issued.values())).total_seconds()
        telemetry.count(metrics.REVOCATION_INDEX_AGE, age, metrics.SECONDS)
    counts = {"read": len(report.read), "unchanged": len(report.unchanged), "failed": len(report.failed),
              "older": len(report.older), "written": len(report.written)}
    logs.event("crl_refresh", **counts)
    return counts


def _session_metric(event: str) -> None:
    """A signing session was created, settled or found expired (voting/signing_session.py)."""
    from chalicelib.voting.signing_session import CREATED, EXPIRED, SETTLED

    telemetry.count({CREATED: metrics.MOBILE_CREATED, SETTLED: metrics.MOBILE_SETTLED,
                     EXPIRED: metrics.MOBILE_EXPIRED}[event])


_lock = threading.Lock()
_current: Runtime | None = None


def current() -> Runtime:
    """The process's runtime, built from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            _current = Runtime(Settings.from_environment())
        return _current


def install(runtime: Runtime | None) -> None:
    """Use this runtime (tests, tools); None rebuilds from the environment on next use."""
    global _current
    with _lock:
        _current = runtime
