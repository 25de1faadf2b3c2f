"""Keeping CRLs current: download each configured CRL URL (base and delta CRLs), verify it with
its issuer, and keep the good ones in a store that vote functions read (in AWS an S3 bucket; see
`revocation.RefreshingRevocation`).

A download that fails, or a CRL that does not verify, never replaces the one already held.
Pure: the download and the store are injected; the report says what happened, for the caller's
logs and metrics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from chalicelib.verify.revocation import CrlError, read_crl
from chalicelib.verify.trust import TrustStore


class CrlStore(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None: ...
    def all(self) -> Iterable[tuple[str, bytes]]: ...


@dataclass
class RefreshReport:
    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    stale_sources: list[str] = field(default_factory=list)  # published past their own nextUpdate


def object_key(url: str, prefix: str = "crl/") -> str:
    return f"{prefix}{hashlib.sha256(url.encode()).hexdigest()[:32]}.crl"


def refresh_crls(
    urls: Iterable[str],
    trust: TrustStore,
    store: CrlStore,
    download: Callable[[str], bytes],
    now: datetime,
    prefix: str = "crl/",
) -> RefreshReport:
    report = RefreshReport()
    for url in urls:
        try:
            data = download(url)
            fresh = read_crl(data, trust)
        except (OSError, ValueError) as error:
            # CrlError is a ValueError; both mean "keep what we have".
            report.failed.append((url, f"{type(error).__name__}: {error}"[:300]))
            continue
        if fresh.next_update is not None and fresh.next_update < now:
            report.stale_sources.append(url)
        key = object_key(url, prefix)
        held = store.get(key)
        if held is not None:
            try:
                current = read_crl(held, trust)
            except CrlError:
                current = None
            if current is not None and current.this_update >= fresh.this_update:
                report.unchanged.append(url)
                continue
        store.put(key, data, {
            "source-url": url[:1000],
            "this-update": fresh.this_update.isoformat(),
            "next-update": fresh.next_update.isoformat() if fresh.next_update else "",
        })
        report.stored.append(url)
    return report
