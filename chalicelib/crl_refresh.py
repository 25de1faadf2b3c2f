"""Keeping CRLs current in AWS: a scheduled job downloads the configured CRL URLs (base and
delta CRLs), verifies each with its issuer, and stores the good ones in S3; vote functions read
the newest verified CRLs from there (see `revocation.RefreshingRevocation`).

A download that fails, or a CRL that does not verify, never replaces the one already stored.
"""

from __future__ import annotations

import hashlib
import logging
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from chalicelib import logs
from chalicelib.revocation import CrlError, read_crl
from chalicelib.trust import TrustStore

MAX_CRL_BYTES = 64 * 1024 * 1024  # the NCA's full CRLs are a few MB
FETCH_TIMEOUT_SECONDS = 20

log = logging.getLogger("service.crl")


class CrlBucket(Protocol):
    def get(self, key: str) -> bytes | None: ...
    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None: ...
    def all(self) -> Iterable[bytes]: ...


@dataclass
class RefreshReport:
    stored: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)


def object_key(url: str, prefix: str = "crl/") -> str:
    return f"{prefix}{hashlib.sha256(url.encode()).hexdigest()[:32]}.crl"


def fetch(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http and https CRL URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "voting-crl-refresh/1"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
        data = response.read(MAX_CRL_BYTES + 1)
    if len(data) > MAX_CRL_BYTES:
        raise ValueError("CRL larger than the limit")
    return data


def refresh_crls(
    urls: Iterable[str],
    trust: TrustStore,
    bucket: CrlBucket,
    download: Callable[[str], bytes] = fetch,
    now: datetime | None = None,
    prefix: str = "crl/",
) -> RefreshReport:
    moment = now or datetime.now(UTC)
    report = RefreshReport()
    for url in urls:
        try:
            data = download(url)
            fresh = read_crl(data, trust)
        except (OSError, ValueError, CrlError) as error:
            # CrlError is a ValueError; both mean "keep what we have".
            report.failed.append((url, f"{type(error).__name__}: {error}"[:300]))
            logs.metric(log, "CrlRefreshFailed", level=logging.ERROR, url=url[:200])
            continue
        if fresh.next_update is not None and fresh.next_update < moment:
            logs.metric(log, "CrlSourceStale", level=logging.ERROR, url=url[:200])
        key = object_key(url, prefix)
        held = bucket.get(key)
        if held is not None:
            try:
                current = read_crl(held, trust)
            except CrlError:
                current = None
            if current is not None and current.this_update >= fresh.this_update:
                report.unchanged.append(url)
                continue
        bucket.put(key, data, {
            "source-url": url[:1000],
            "this-update": fresh.this_update.isoformat(),
            "next-update": fresh.next_update.isoformat() if fresh.next_update else "",
        })
        report.stored.append(url)
    logs.event(log, "crl_refresh", stored=len(report.stored), unchanged=len(report.unchanged),
               failed=len(report.failed))
    return report


class S3CrlBucket:
    """CRLs in S3 under a prefix (boto3 is imported only where this is used)."""

    def __init__(self, bucket: str, prefix: str = "crl/", client: object | None = None) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3")

    def get(self, key: str) -> bytes | None:
        try:
            return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=metadata,
                               ContentType="application/pkix-crl")

    def all(self) -> list[bytes]:
        paginator = self.client.get_paginator("list_objects_v2")
        keys = [item["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)
                for item in page.get("Contents", [])]
        return [data for data in (self.get(key) for key in keys) if data is not None]
