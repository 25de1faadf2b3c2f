"""The signed documents: the ballot `{"v": 1, "contest": "<id>", "nominee": "<id>", "challenge":
"<token>"}`, the admin's sign-in `{"v": 1, "purpose": "admin-login", "challenge"}` and a citizen's
request for their own receipt `{"v": 1, "purpose": "receipt-request", "contest": "<id>", "challenge"}`.

Parsed strictly: UTF-8 JSON, exactly these keys once each, the right types. Key order and
whitespace are free (the signature covers the exact bytes anyway).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from chalicelib.voting.rejection import Rejection

MAX_BALLOT_BYTES = 4096
MAX_ID_LENGTH = 128
_KEYS = frozenset({"v", "contest", "nominee", "challenge"})
ADMIN_LOGIN_KEYS = frozenset({"v", "purpose", "challenge"})
RECEIPT_REQUEST = "receipt-request"
_RECEIPT_REQUEST_KEYS = frozenset({"v", "purpose", "contest", "challenge"})


@dataclass(frozen=True)
class Ballot:
    contest: str
    nominee: str
    challenge: str


def _reject_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result: dict[str, object] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _reject_constant(name: str) -> object:
    raise ValueError(f"{name} is not JSON")


def load_signed_json(content: bytes, keys: frozenset[str]) -> dict[str, object]:
    """A JSON object with exactly `keys` and `"v": 1`; `invalid_ballot` otherwise."""
    if len(content) > MAX_BALLOT_BYTES:
        raise Rejection("invalid_ballot", "signed content too long")
    try:
        document = json.loads(
            content.decode("utf-8"), object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Rejection("invalid_ballot", "signed content is not UTF-8 JSON") from None
    if not isinstance(document, dict) or set(document) != keys:
        raise Rejection("invalid_ballot", "signed content has the wrong fields")
    version = document["v"]
    if type(version) is not int or version != 1:
        raise Rejection("invalid_ballot", "unsupported ballot version")
    return document


def parse_ballot(content: bytes) -> Ballot:
    document = load_signed_json(content, _KEYS)
    fields = []
    for name in ("contest", "nominee", "challenge"):
        value = document[name]
        if not isinstance(value, str) or not value or len(value) > (MAX_ID_LENGTH if name != "challenge" else 256):
            raise Rejection("invalid_ballot", f"ballot field {name} is not a valid string")
        fields.append(value)
    return Ballot(*fields)


@dataclass(frozen=True)
class ReceiptRequest:
    contest: str
    challenge: str


def parse_receipt_request(content: bytes) -> ReceiptRequest:
    document = load_signed_json(content, _RECEIPT_REQUEST_KEYS)
    if document["purpose"] != RECEIPT_REQUEST:
        raise Rejection("invalid_ballot", "not a receipt request")
    contest, token = document["contest"], document["challenge"]
    if not isinstance(contest, str) or not 0 < len(contest) <= MAX_ID_LENGTH:
        raise Rejection("invalid_ballot", "receipt request field contest is not a valid string")
    if not isinstance(token, str) or not 0 < len(token) <= 256:
        raise Rejection("invalid_ballot", "receipt request field challenge is not a valid string")
    return ReceiptRequest(contest, token)


def receipt_request_bytes(contest: str, challenge: str) -> bytes:
    """The receipt request as the voting page builds it (for tests and tools)."""
    return json.dumps({"v": 1, "purpose": RECEIPT_REQUEST, "contest": contest, "challenge": challenge}).encode()


def ballot_bytes(contest: str, nominee: str, challenge: str) -> bytes:
    """The ballot as the voting page builds it (for tests, tools and the stand-in)."""
    return json.dumps(
        {"v": 1, "contest": contest, "nominee": nominee, "challenge": challenge}, ensure_ascii=False
    ).encode()
