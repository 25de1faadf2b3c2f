"""Where CRLs come from and where the refresher keeps what it made of them: HTTP downloads from the
NCA and the CRL bucket (boto3 is imported only where the bucket is used).

The bucket holds, under its prefix (`crl/`):
- `crl/index/<CA fingerprint>.idx`: each CA's revocation index, what vote functions read (one
  GET, then a conditional GET with its ETag every `VOTING_CRL_CACHE_SECONDS`);
- `crl/<hash of the URL>.crl`: the verified CRL each index was built from, as downloaded (for the
  operators and an offline audit: `aws s3 sync s3://<bucket>/crl/ crls/ --exclude 'index/*'`).
Only the refresher's role may write there; the vote function's may read `crl/index/` only.
"""

from __future__ import annotations

import hashlib
import urllib.request
from typing import Any

from chalicelib.verify.policy import NCA
from chalicelib.verify.revocation import UNCHANGED, Unchanged

FETCH_TIMEOUT_SECONDS = 20
INDEX_FOLDER = "index/"
MAX_INDEX_BYTES = 256 * 1024 * 1024  # the policy's most entries, 29 bytes each, and the header
_CHUNK = 1024 * 1024


class StoreUnreachable(OSError):
    """The bucket could not be read or written (network, permissions, throttling)."""


def download(url: str) -> bytes:
    if not url.startswith(("http://", "https://")):
        raise ValueError("only http and https CRL URLs are fetched")
    limit = NCA.max_crl_bytes
    request = urllib.request.Request(url, headers={"User-Agent": "voting-crl-refresh/2"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
        data: bytes = response.read(limit + 1)
    if len(data) > limit:
        raise ValueError("CRL larger than the limit")
    return data


def crl_key(url: str, prefix: str = "crl/") -> str:
    """The object a verified CRL downloaded from `url` is kept under."""
    return f"{prefix}{hashlib.sha256(url.encode()).hexdigest()[:32]}.crl"


class S3CrlBucket:
    """The CRL bucket: the refresher's index store (`crl_refresh.IndexStore`) and the vote
    functions' `fetch` of indexes (`revocation.RefreshingIndexes`)."""

    def __init__(self, bucket: str, prefix: str = "crl/", client: Any = None) -> None:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3")
        self._errors = (BotoCoreError, ClientError)

    def index_key(self, name: str) -> str:
        return f"{self.prefix}{INDEX_FOLDER}{name}"

    def fetch(self, name: str, etag: str | None) -> tuple[bytearray, str] | Unchanged | None:
        """The index `name` and its ETag; UNCHANGED while the stored one has `etag`; None when absent."""
        request = {"Bucket": self.bucket, "Key": self.index_key(name), **({"IfNoneMatch": etag} if etag else {})}
        try:
            response = self.client.get_object(**request)
            return _body(response), str(response["ETag"])
        except self.client.exceptions.NoSuchKey:
            return None
        except self._errors as error:
            if _status(error) == 304:
                return UNCHANGED
            raise StoreUnreachable(f"index {name}: {type(error).__name__}") from None

    def read_index(self, name: str) -> bytearray | None:
        fetched = self.fetch(name, None)
        return None if isinstance(fetched, Unchanged) or fetched is None else fetched[0]

    def write_index(self, name: str, data: bytes, crls: list[tuple[str, bytes]]) -> None:
        """The CRLs first, then the index made of them: a reader of the index always finds its CRLs."""
        try:
            for source, crl in crls:
                self.client.put_object(Bucket=self.bucket, Key=crl_key(source, self.prefix), Body=crl,
                                       ContentType="application/pkix-crl", Metadata={"source-url": source[:1000]})
            self.client.put_object(Bucket=self.bucket, Key=self.index_key(name), Body=data,
                                   ContentType="application/octet-stream")
        except self._errors as error:
            raise StoreUnreachable(f"index {name}: {type(error).__name__}") from None


def _body(response: dict[str, Any]) -> bytearray:
    """The object's bytes read into one buffer of its size: holding an index costs its size, not
    the twice that joining chunks would."""
    size = int(response["ContentLength"])
    if size > MAX_INDEX_BYTES:
        raise StoreUnreachable("index larger than any the refresher writes")
    buffer = bytearray(size)
    view, position, body = memoryview(buffer), 0, response["Body"]
    try:
        while position < size:
            chunk = body.read(min(_CHUNK, size - position))
            if not chunk:
                raise StoreUnreachable("index cut short in transit")
            view[position:position + len(chunk)] = chunk
            position += len(chunk)
    finally:
        view.release()
        body.close()
    return buffer


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None) or {}
    code = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code is None and str(response.get("Error", {}).get("Code", "")).isdigit():
        code = int(response["Error"]["Code"])
    return code if isinstance(code, int) else None
