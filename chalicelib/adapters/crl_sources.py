"""Where CRLs come from and where the refresher keeps them: HTTP downloads from the NCA and an S3
bucket (boto3 is imported only where the bucket is used)."""

from __future__ import annotations

import urllib.request
from typing import Any

MAX_CRL_BYTES = 64 * 1024 * 1024  # national CRLs are tens of MB
FETCH_TIMEOUT_SECONDS = 20


def download(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http and https CRL URLs are fetched")
    request = urllib.request.Request(url, headers={"User-Agent": "voting-crl-refresh/1"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
        data: bytes = response.read(MAX_CRL_BYTES + 1)
    if len(data) > MAX_CRL_BYTES:
        raise ValueError("CRL larger than the limit")
    return data


class S3CrlBucket:
    """CRLs in S3 under a prefix."""

    def __init__(self, bucket: str, prefix: str = "crl/", client: Any = None) -> None:
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3")

    def get(self, key: str) -> bytes | None:
        try:
            data: bytes = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None
        return data

    def put(self, key: str, data: bytes, metadata: dict[str, str]) -> None:
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, Metadata=metadata,
                               ContentType="application/pkix-crl")

    def all(self) -> list[tuple[str, bytes]]:
        """(key, bytes) of every CRL under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        keys = [item["Key"] for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix)
                for item in page.get("Contents", [])]
        return [(key, data) for key, data in ((key, self.get(key)) for key in keys) if data is not None]
