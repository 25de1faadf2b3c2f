"""The request body that carries a signature: `{"cms": "<base64>", "content"?: "<base64>"}`,
for votes and for admin sign-in alike. Checked for size before anything is parsed."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from chalicelib.verify.cms import MalformedCms, unarmour
from chalicelib.voting.rejection import Rejection

MAX_BODY_BYTES = 64 * 1024
_KEYS = frozenset({"cms", "content"})


def json_body(body: bytes, max_bytes: int, what: str = "body") -> Any:
    """A request body as JSON: its size checked before it is read (`payload_too_large`), then
    UTF-8 (a byte order mark allowed) and JSON, or `malformed_request`."""
    if len(body) > max_bytes:
        raise Rejection("payload_too_large")
    try:
        return json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejection("malformed_request", f"{what} is not UTF-8 JSON") from None


def read_signed_body(body: bytes) -> tuple[bytes, bytes | None]:
    """(CMS DER, detached content or None); `payload_too_large` or `malformed_request` otherwise."""
    document = json_body(body, MAX_BODY_BYTES)
    if not isinstance(document, dict) or "cms" not in document or not set(document) <= _KEYS:
        raise Rejection("malformed_request", 'body must be {"cms": ..., optional "content": ...}')
    cms = document["cms"]
    if isinstance(cms, str):
        try:
            cms = unarmour(cms)  # Kalkan's PEM output (`-----BEGIN CMS-----`) carries the same base64
        except MalformedCms as error:
            raise Rejection("malformed_request", str(error)) from None
    cms_der = decode_base64(cms, "cms")
    detached = decode_base64(document["content"], "content") if "content" in document else None
    return cms_der, detached


def decode_base64(value: object, name: str) -> bytes:
    """A non-empty base64 string (line breaks allowed) as bytes, or `malformed_request` naming the field."""
    if not isinstance(value, str) or not value:
        raise Rejection("malformed_request", f"{name} must be a base64 string")
    try:
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise Rejection("malformed_request", f"{name} is not valid base64") from None
