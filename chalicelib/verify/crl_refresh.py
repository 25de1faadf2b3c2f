"""The CRL refresher: each CA's CRLs (base and delta) read and verified once, and its compact
index written for the vote functions (`revocation_index`). In AWS the scheduled `refresh_crls`
downloads the configured URLs into the CRL bucket; locally `make run` and `manage.py refresh-crls`
read the CRL folder into an index folder. Pure: the sources, the store and the key are injected;
the report says what happened, for the caller's logs and metrics.

Each run fetches every source. One whose bytes are those an index already holds (SHA-256) is not
read again, so a CRL publication is parsed and its signature verified exactly once; a new delta
CRL reuses its base's records from the held index. Nothing replaces what the index holds unless
it is verified and newer: a download that fails, a CRL that does not verify (corrupt, forged,
its CA not in the trust folder or not allowed to sign CRLs) or one older than the held one
(a replayed publication) is reported and the index stays as it is, to go stale by its own
nextUpdate. A held index that cannot be read keeps its CA's index untouched this run (writing
without it could roll back a newer one); a held index that is refused (altered, another key) is
rebuilt from this run's CRLs.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from chalicelib.verify.crl import CrlError, RevocationList, read_crl
from chalicelib.verify.policy import NCA, Policy
from chalicelib.verify.revocation import HeldIndexes
from chalicelib.verify.revocation_index import (
    RECORD,
    IndexRefused,
    RevocationIndex,
    encode_index,
    index_name,
    read_index,
)
from chalicelib.verify.trust import TrustStore

UNREACHABLE = "unreachable"  # a failed download (or an unreadable file): CrlError's codes are the others


class IndexStore(Protocol):
    def read_index(self, name: str) -> bytes | bytearray | None:
        """The stored index `name`, None when there is none; OSError when the store fails."""

    def write_index(self, name: str, data: bytes, crls: list[tuple[str, bytes]]) -> None:
        """Store the index `name`, built from `crls` (source, bytes): a store may keep them too."""


@dataclass(frozen=True)
class Written:
    """An index written: which CA, what it holds, until when it is current."""

    issuer: str
    base_entries: int
    delta_entries: int
    crl_number: int | None
    delta_number: int | None
    next_update: datetime


@dataclass
class RefreshReport:
    read: list[str] = field(default_factory=list)  # sources parsed and verified this run
    unchanged: list[str] = field(default_factory=list)  # the bytes an index already holds, or no newer
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (source, reason, detail)
    older: list[str] = field(default_factory=list)  # verified but older than what the index holds
    stale_sources: list[str] = field(default_factory=list)  # published past their own nextUpdate
    written: list[Written] = field(default_factory=list)
    index_problems: list[tuple[str, str]] = field(default_factory=list)  # (CA, why its index was not written)
    # Each CA with an index after the run → the thisUpdate of the newest CRL in it; and the run's
    # time: how old each CA's revocation data is, for the operators.
    issued: dict[str, datetime] = field(default_factory=dict)
    as_of: datetime | None = None


@dataclass(frozen=True)
class _Fresh:
    source: str
    data: bytes
    digest: str
    crl: RevocationList


def refresh(sources: Sequence[str], fetch: Callable[[str], bytes], trust: TrustStore, store: IndexStore,
            key: bytes, now: datetime, rules: Policy = NCA) -> RefreshReport:
    report = RefreshReport(as_of=now)
    held, blocked = _held_indexes(trust, store, key, report)
    report.issued.update({index.issuer_name: index.this_update for index in held.values()})
    known = {digest for index in held.values() for digest in _digests(index)}
    fresh: dict[bytes, list[_Fresh]] = {}
    for source in sources:
        try:
            data = fetch(source)
        except (OSError, ValueError) as error:
            report.failed.append((source, UNREACHABLE, f"{type(error).__name__}: {error}"[:300]))
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest in known:
            report.unchanged.append(source)
            continue
        try:
            crl = read_crl(data, trust, rules)
        except CrlError as error:
            report.failed.append((source, error.code, f"{error.code}: {error.detail}"[:300]))
            continue
        known.add(digest)  # the same CRL from a mirror is read once
        report.read.append(source)
        if crl.next_update < now:
            report.stale_sources.append(source)
        fresh.setdefault(crl.issuer.fingerprint, []).append(_Fresh(source, data, digest, crl))
    for fingerprint, crls in fresh.items():
        issuer_name = crls[0].crl.issuer.subject_text[:200]
        if fingerprint in blocked:
            report.index_problems.append((issuer_name, "its stored index could not be read: kept as it is"))
            continue
        _index_issuer(crls, held.get(fingerprint), trust, store, key, now, report)
    return report


def _held_indexes(trust: TrustStore, store: IndexStore, key: bytes,
                  report: RefreshReport) -> tuple[dict[bytes, RevocationIndex], set[bytes]]:
    held: dict[bytes, RevocationIndex] = {}
    blocked: set[bytes] = set()
    for anchor in trust.anchors:
        try:
            data = store.read_index(index_name(anchor.fingerprint))
        except OSError as error:
            blocked.add(anchor.fingerprint)
            report.index_problems.append((anchor.subject_text[:200], f"index unreadable: {type(error).__name__}"))
            continue
        if data is None:
            continue
        try:
            held[anchor.fingerprint] = read_index(data, key, anchor.fingerprint)
        except IndexRefused as error:
            report.index_problems.append((anchor.subject_text[:200], f"stored index refused ({error}): rebuilt"))
    return held, blocked


def _digests(index: RevocationIndex) -> list[str]:
    return [part["sha256"] for part in (index.header.get("base"), index.header.get("delta")) if part]


def _order(part: dict[str, Any] | None) -> tuple[int, str]:
    """How two CRLs of one kind and CA compare: by cRLNumber, then by thisUpdate."""
    if part is None:
        return (-1, "")
    return (part["number"] if part["number"] is not None else -1, part["this_update"])


def _described(fresh: _Fresh) -> dict[str, Any]:
    crl = fresh.crl
    return {"sha256": fresh.digest, "source": fresh.source[:1000], "number": crl.number,
            "base_number": crl.delta_base, "this_update": crl.this_update.isoformat(),
            "next_update": crl.next_update.isoformat()}


def _newest(crls: Iterable[_Fresh]) -> _Fresh | None:
    return max(crls, key=lambda f: _order(_described(f)), default=None)


def _extends(delta: dict[str, Any] | None, base: dict[str, Any]) -> bool:
    """RFC 5280 5.2.4: a delta completes a base at least as new as the one it names, older than itself."""
    return (delta is not None and base["number"] is not None and delta["number"] is not None
            and delta["base_number"] <= base["number"] < delta["number"])


def _index_issuer(crls: list[_Fresh], held: RevocationIndex | None, trust: TrustStore, store: IndexStore,
                  key: bytes, now: datetime, report: RefreshReport) -> None:
    issuer = crls[0].crl.issuer
    held_base = held.header["base"] if held else None
    held_delta = held.header.get("delta") if held else None
    newer: list[_Fresh] = []
    for kind_is_delta, was in ((False, held_base), (True, held_delta)):
        candidate = _newest(f for f in crls if f.crl.is_delta == kind_is_delta)
        if candidate is None:
            continue
        for other in crls:
            if other.crl.is_delta == kind_is_delta and other is not candidate:
                # a second CRL of the same kind and CA, no newer than the first
                older = _order(_described(other)) < _order(_described(candidate))
                (report.older if older else report.unchanged).append(other.source)
        if was is not None and _order(_described(candidate)) <= _order(was):
            (report.older if _order(_described(candidate)) < _order(was) else report.unchanged).append(candidate.source)
            continue
        newer.append(candidate)
    fresh_base = next((f for f in newer if not f.crl.is_delta), None)
    fresh_delta = next((f for f in newer if f.crl.is_delta), None)
    if fresh_base is None and fresh_delta is None:
        return
    if fresh_base is not None:
        base, base_records = _described(fresh_base), fresh_base.crl.revoked.records
    elif held is not None and held_base is not None:
        base, base_records = held_base, held.base.records
    else:
        report.index_problems.append((issuer.subject_text[:200], "a delta CRL without its base CRL: not indexed"))
        return
    delta, delta_records = None, memoryview(b"")
    if fresh_delta is not None and _extends(_described(fresh_delta), base):
        delta, delta_records = _described(fresh_delta), fresh_delta.crl.revoked.records
    elif held is not None and _extends(held_delta, base):
        delta, delta_records = held_delta, held.delta.records
    if fresh_delta is not None and delta is None:
        report.index_problems.append((issuer.subject_text[:200], "the delta CRL does not extend the base CRL held: "
                                                                 "the base alone is used"))
    current = delta or base
    used = [(f.source, f.data) for f in (fresh_base, fresh_delta) if f is not None]
    # The same CA may be in the trust folder twice (a certificate renewed on the same key): a path
    # may end at either, so each gets the index, under its own fingerprint.
    twins = [a for a in trust.anchors if a.subject_der == issuer.subject_der and a.spki_der == issuer.spki_der]
    for certificate in twins:
        header = {
            "issuer": certificate.fingerprint.hex(), "issuer_name": certificate.subject_text[:200],
            "this_update": current["this_update"], "next_update": current["next_update"],
            "crl_number": base["number"], "delta_number": delta["number"] if delta else None,
            "base": base, "delta": delta, "built_at": now.isoformat(),
        }
        data = encode_index(header, base_records, delta_records, key)
        try:
            store.write_index(index_name(certificate.fingerprint), data, used)
        except OSError as error:
            report.index_problems.append((issuer.subject_text[:200], f"index not written: {type(error).__name__}"))
            return
        report.issued[header["issuer_name"]] = datetime.fromisoformat(current["this_update"])
        report.written.append(Written(header["issuer_name"], len(base_records) // RECORD,
                                      len(delta_records) // RECORD, base["number"], header["delta_number"],
                                      datetime.fromisoformat(current["next_update"])))


class MemoryIndexes:
    """An index store in memory: for a refresh whose result stays in this process."""

    def __init__(self) -> None:
        self.indexes: dict[str, bytes] = {}

    def read_index(self, name: str) -> bytes | None:
        return self.indexes.get(name)

    def write_index(self, name: str, data: bytes, crls: list[tuple[str, bytes]]) -> None:
        self.indexes[name] = data


def held_indexes_from_crls(named: Iterable[tuple[str, bytes]], trust: TrustStore, now: datetime,
                           rules: Policy = NCA) -> tuple[HeldIndexes, RefreshReport]:
    """The refresher run in this process over CRLs in hand (the offline audit's CRL folder, tests):
    their indexes held in memory, and the report of what was refused."""
    crls = dict(named)
    store, key = MemoryIndexes(), secrets.token_bytes(32)
    report = refresh(list(crls), crls.__getitem__, trust, store, key, now, rules)
    fingerprints = {index_name(anchor.fingerprint): anchor.fingerprint for anchor in trust.anchors}
    return HeldIndexes(read_index(data, key, fingerprints[name]) for name, data in store.indexes.items()), report
