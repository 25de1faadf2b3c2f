"""The evidence of a tally: one JSON line per counted vote, in two forms.

Sealed (what the service stores and exports: `manage.py evidence`, the admin page's download):

    {"receipt": "...", "contest": "...", "voter": "<voter key>", "nominee": "...", "cast_at": "...Z",
     "sealed": "<base64 of the CMS sealed to the commission's key>"}

Nothing in it names a voter; only the commission's key opens it, and only for this very record
(`seal.py` binds contest, voter key, receipt, nominee and cast_at). `manage.py audit` reads it.

Opened (`manage.py evidence --open`, on the commission's machine, for its own tools):

    {"receipt": "...", "contest": "...", "nominee": "...", "cast_at": "...Z", "cms": "<base64 DER>"}
    (+ "content": "<base64 ballot>" when the vote came as a detached CMS)

An opened file names every voter next to their choice: it never leaves the commission. Both
forms carry receipt and nominee, so the digest recipe (README) works on either. Pure.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from chalicelib.voting.ports import CommissionKey
from chalicelib.voting.seal import Binding, open_sealed

SEALED_FIELDS = ("receipt", "contest", "voter", "nominee", "cast_at", "sealed")
OPENED_FIELDS = ("receipt", "contest", "nominee", "cast_at", "cms")


class EvidenceError(ValueError):
    """A line that is not an evidence record of the form expected."""


@dataclass(frozen=True)
class SealedVote:
    receipt: str
    contest: str
    voter: str
    nominee: str
    cast_at: str
    sealed: bytes

    def binding(self) -> Binding:
        return Binding(self.contest, self.voter, self.receipt, self.nominee, self.cast_at)


@dataclass(frozen=True)
class EvidenceVote:
    """An opened record: the signed CMS itself."""

    receipt: str
    contest: str
    nominee: str
    cast_at: str
    cms: bytes
    content: bytes | None = None


def opened(vote: SealedVote, key: CommissionKey) -> EvidenceVote:
    """Open one sealed record with the commission's key (`seal.SealError` if it does not open)."""
    cms, content = open_sealed(vote.sealed, vote.binding(), key)
    return EvidenceVote(vote.receipt, vote.contest, vote.nominee, vote.cast_at, cms, content)


def sealed_line(vote: SealedVote) -> str:
    return _line({"receipt": vote.receipt, "contest": vote.contest, "voter": vote.voter, "nominee": vote.nominee,
                  "cast_at": vote.cast_at, "sealed": base64.b64encode(vote.sealed).decode()})


def evidence_line(vote: EvidenceVote) -> str:
    record = {"receipt": vote.receipt, "contest": vote.contest, "nominee": vote.nominee, "cast_at": vote.cast_at,
              "cms": base64.b64encode(vote.cms).decode()}
    if vote.content is not None:
        record["content"] = base64.b64encode(vote.content).decode()
    return _line(record)


def parse_sealed_line(line: str) -> SealedVote:
    record = _json_object(line)
    if "cms" in record and "sealed" not in record:
        raise EvidenceError("an opened record (it has cms): audit the sealed file that `manage.py evidence` writes")
    _check_fields(record, SEALED_FIELDS, ())
    return SealedVote(record["receipt"], record["contest"], record["voter"], record["nominee"], record["cast_at"],
                      _bytes(record["sealed"], "sealed"))


def parse_evidence_line(line: str) -> EvidenceVote:
    record = _json_object(line)
    if "sealed" in record:
        raise EvidenceError("a sealed record: open it with the commission's key first")
    _check_fields(record, OPENED_FIELDS, ("content",))
    content = record.get("content")
    return EvidenceVote(record["receipt"], record["contest"], record["nominee"], record["cast_at"],
                        _bytes(record["cms"], "cms"), None if content is None else _bytes(content, "content"))


def _line(record: dict[str, str]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _json_object(line: str) -> dict[str, Any]:
    try:
        record = json.loads(line)
    except (ValueError, RecursionError):
        raise EvidenceError("not JSON") from None
    if not isinstance(record, dict):
        raise EvidenceError("not a JSON object")
    return record


def _check_fields(record: dict[str, Any], fields: tuple[str, ...], optional: tuple[str, ...]) -> None:
    missing = [name for name in fields if not isinstance(record.get(name), str) or not record.get(name)]
    if missing:
        raise EvidenceError(f"field {missing[0]} is missing or not a text")
    unknown = sorted(set(record) - set(fields) - set(optional))
    if unknown:
        raise EvidenceError(f"unknown field {unknown[0]}")
    if any(name in record and not isinstance(record[name], str) for name in optional):
        raise EvidenceError(f"field {next(n for n in optional if n in record)} is not a text")


def _bytes(text: str, name: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise EvidenceError(f"{name} is not base64") from None
