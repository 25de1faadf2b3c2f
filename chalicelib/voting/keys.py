"""Keys derived from the one server secret, each for one purpose.

Separate keys (HMAC-SHA256 of the secret with a label) keep a token MAC from ever being usable as
a receipt or a voter key, and let one secret be rotated in one place.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_SECRET_BYTES = 32  # below this a secret does not protect voters' identities


class Keys:
    def __init__(self, secret: str | bytes) -> None:
        raw = secret.encode() if isinstance(secret, str) else secret
        if len(raw) < MIN_SECRET_BYTES:
            # Settings refuses such a secret first, naming the variable; this guards other callers.
            raise ValueError(f"the secret must be at least {MIN_SECRET_BYTES} bytes")
        self.voter = _derive(raw, b"voter-identity")
        self.receipt = _derive(raw, b"receipt")
        self.challenge = _derive(raw, b"challenge-token")
        self.admin_session = _derive(raw, b"admin-session-token")
        self.audit = _derive(raw, b"audit-actor")
        # The CRL refresher seals each revocation index with it; vote functions check it before use.
        self.crl_index = _derive(raw, b"crl-index")


def _derive(secret: bytes, label: bytes) -> bytes:
    return hmac.new(secret, b"voting/v1/" + label, hashlib.sha256).digest()


def mac(key: bytes, *parts: str | bytes) -> bytes:
    """HMAC-SHA256 over length-prefixed parts, so ('ab', 'c') and ('a', 'bc') never collide."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        digest.update(len(data).to_bytes(4, "big"))
        digest.update(data)
    return digest.digest()
