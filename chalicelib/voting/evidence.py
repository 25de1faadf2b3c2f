"""The evidence of a tally: one JSON line per counted vote, with the signed CMS itself.

    {"receipt": "...", "contest": "...", "nominee": "...", "cast_at": "...Z", "cms": "<base64 DER>"}
    (+ "content": "<base64 ballot>" when the vote came as a detached CMS)

Anyone holding the file can re-verify every signature and recount (`manage.py audit`) without
trusting the service. Pure.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

FIELDS = ("receipt", "contest", "nominee", "cast_at", "cms")


@dataclass(frozen=True)
class EvidenceVote:
    receipt: str
    contest: str
    nominee: str
    cast_at: str
    cms: bytes
    content: bytes | None = None


class EvidenceError(ValueError):
    """A line that is not an evidence record."""


def evidence_line(vote: EvidenceVote) -> str:
    record: dict[str, str] = {"receipt": vote.receipt, "contest": vote.contest, "nominee": vote.nominee,
                              "cast_at": vote.cast_at, "cms": base64.b64encode(vote.cms).decode()}
    if vote.content is not None:
        record["content"] = base64.b64encode(vote.content).decode()
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def parse_evidence_line(line: str) -> EvidenceVote:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise EvidenceError("not JSON") from None
    if not isinstance(record, dict):
        raise EvidenceError("not a JSON object")
    missing = [name for name in FIELDS if not isinstance(record.get(name), str) or not record.get(name)]
    if missing:
        raise EvidenceError(f"field {missing[0]} is missing or not a text")
    unknown = sorted(set(record) - set(FIELDS) - {"content"})
    if unknown:
        raise EvidenceError(f"unknown field {unknown[0]}")
    content = record.get("content")
    if content is not None and not isinstance(content, str):
        raise EvidenceError("field content is not a text")
    try:
        cms = base64.b64decode(record["cms"], validate=True)
        detached = base64.b64decode(content, validate=True) if content is not None else None
    except ValueError:
        raise EvidenceError("cms or content is not base64") from None
    return EvidenceVote(record["receipt"], record["contest"], record["nominee"], record["cast_at"], cms, detached)
