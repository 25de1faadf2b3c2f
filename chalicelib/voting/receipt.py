"""Voter keys and receipts: keyed hashes that stand for a person without naming them.

The voter key is a keyed hash of (contest, IIN): the person in that contest, whatever
certificate they used; the receipt is a keyed hash of (contest, voter key). Both are stable across retries and reveal
nothing without the server secret. Neither is ever derived from CMS or signature bytes.
"""

from __future__ import annotations

import base64
import re

from chalicelib.voting.keys import Keys, mac
from chalicelib.voting.rejection import Rejection

RECEIPT_GROUPS = 6  # 6 groups of 4 base32 characters: 120 bits
_RECEIPT = re.compile(r"[A-Z2-7]{4}(?:-[A-Z2-7]{4}){5}")


def voter_key(keys: Keys, contest_id: str, iin: str) -> str:
    """The person in one contest: keyed by the contest too, so a person's records of two contests
    (two evidence exports, say) cannot be linked by it."""
    return mac(keys.voter, "iin", contest_id, iin).hex()


def receipt_for(keys: Keys, contest_id: str, voter: str) -> str:
    text = base64.b32encode(mac(keys.receipt, contest_id, voter)[:15]).decode()
    return "-".join(text[i : i + 4] for i in range(0, 4 * RECEIPT_GROUPS, 4))


def normalize_receipt(text: str) -> str | None:
    """The canonical receipt for what a person typed (any case, spaces or no dashes), or None."""
    if len(text) > 64:
        return None
    compact = re.sub(r"[\s-]", "", text).upper()
    candidate = "-".join(compact[i : i + 4] for i in range(0, len(compact), 4))
    return candidate if _RECEIPT.fullmatch(candidate) else None


def check_link(public_url: str, text: str) -> str:
    """The voting page's address that checks this receipt when opened (printed as a QR code).
    `receipt_not_found` for anything that is not a receipt's form."""
    receipt = normalize_receipt(text)
    if receipt is None:
        raise Rejection("receipt_not_found")
    return f"{public_url.rstrip('/')}/?receipt={receipt}"
