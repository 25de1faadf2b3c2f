"""The compact revocation index: what vote functions read instead of a CRL.

The CRL refresher reads and verifies each CRL once (`crl.read_crl`) and writes, per issuing CA, one
index: the revoked serials as sorted fixed-width records, with the CRL's thisUpdate, nextUpdate,
cRLNumber and the CA certificate's SHA-256 fingerprint, closed by an HMAC-SHA256 tag. A vote
function loads it with one read, checks the tag and the header (a few tens of milliseconds for a
million entries, no CRL parsed, no signature verified), and looks a serial up by bisection over
the records, in place: memory stays the index's own size.

Layout (all integers big-endian):

    b"VCRLIDX1"                      magic and format version
    u32 header length, header        JSON (UTF-8): issuer, times, numbers, counts, digests
    base records                     base_entries x RECORD bytes, sorted
    delta records                    delta_entries x RECORD bytes, sorted (removeFromCRL: REMOVED)
    HMAC-SHA256(key, everything above)

A record is the serial's magnitude left-padded to SERIAL_BYTES (so bytewise order is numeric order)
and the revocation time in seconds since 1970 (8 bytes, unsigned). A delta CRL's records are kept
apart from its base's, so a new delta costs the refresher no rework of a million base entries and
a lookup two bisections. The key is the caller's (the service derives one from its secret): this
package holds no secret. Anything that is not exactly such an index under that key — truncated,
one bit changed, another CA's index under this CA's name, another key — is `IndexRefused`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

MAGIC = b"VCRLIDX1"
SERIAL_BYTES = 21  # the longest serial the certificate parser accepts (RFC 5280: 20 octets)
TIME_BYTES = 8
RECORD = SERIAL_BYTES + TIME_BYTES
REMOVED = (1 << 64) - 1  # a delta CRL's removeFromCRL: sorts after every real time of the same serial
TAG_BYTES = 32
MAX_HEADER_BYTES = 16 * 1024
_LENGTH = struct.Struct(">I")
TIME = struct.Struct(">Q")


class IndexRefused(ValueError):
    """Bytes that are not an intact index of the CA asked for, under the key given."""


def record(serial: bytes, seconds: int) -> bytes:
    """One record: a serial's magnitude (at most SERIAL_BYTES) and a revocation time."""
    return serial.rjust(SERIAL_BYTES, b"\0") + TIME.pack(seconds)


class RevokedSerials:
    """Sorted fixed-width records in a buffer (not copied): a serial's revocation time by bisection.
    Where a serial is listed more than once the earliest time is found (it sorts first)."""

    __slots__ = ("_buffer", "count", "start")

    def __init__(self, buffer: bytes | bytearray, start: int = 0, count: int | None = None) -> None:
        self._buffer = buffer
        self.start = start
        self.count = (len(buffer) - start) // RECORD if count is None else count

    def __len__(self) -> int:
        return self.count

    @property
    def records(self) -> memoryview:
        """The records as they lie in the buffer (a view: a million records are not copied)."""
        return memoryview(self._buffer)[self.start:self.start + self.count * RECORD]

    def revoked_at(self, serial: int) -> int | None:
        """Seconds since 1970 at which `serial` was revoked (REMOVED for a delta's removal), None
        when it is not listed."""
        if serial <= 0 or serial.bit_length() > SERIAL_BYTES * 8:
            return None  # not a serial any certificate here can have
        wanted = serial.to_bytes(SERIAL_BYTES, "big")
        buffer, base = self._buffer, self.start
        low, high = 0, self.count
        while low < high:  # bisect_left over the serials, sliced in place
            middle = (low + high) // 2
            at = base + middle * RECORD
            if buffer[at:at + SERIAL_BYTES] < wanted:
                low = middle + 1
            else:
                high = middle
        if low == self.count:
            return None
        at = base + low * RECORD
        if buffer[at:at + SERIAL_BYTES] != wanted:
            return None
        seconds: int = TIME.unpack_from(buffer, at + SERIAL_BYTES)[0]
        return seconds


@dataclass(frozen=True)
class RevocationIndex:
    """One CA's revoked serials as of `this_update`, good until `next_update`."""

    issuer_fingerprint: bytes  # SHA-256 of the CA certificate's DER
    issuer_name: str
    this_update: datetime
    next_update: datetime
    crl_number: int | None  # the base CRL's cRLNumber
    delta_number: int | None  # the delta CRL's, when one is applied
    base: RevokedSerials
    delta: RevokedSerials
    header: dict[str, Any]
    size: int

    def revoked_at(self, serial: int) -> int | None:
        """Seconds since 1970 of the serial's revocation, None when the CA's lists do not revoke it:
        the delta CRL first (it may take a held certificate off), then the base."""
        found = self.delta.revoked_at(serial)
        if found is not None:
            return None if found == REMOVED else found
        return self.base.revoked_at(serial)

    @property
    def version(self) -> tuple[int, int, datetime]:
        """What orders two indexes of one CA: a newer one is never replaced by an older one."""
        return (self.crl_number or 0, self.delta_number or 0, self.this_update)


def encode_index(header: dict[str, Any], base: bytes | memoryview, delta: bytes | memoryview, key: bytes) -> bytes:
    """An index of `header` (see `read_index` for the fields it must carry) and the sorted records."""
    if len(base) % RECORD or len(delta) % RECORD:
        raise ValueError("records are not whole")
    described = {**header, "base_entries": len(base) // RECORD, "delta_entries": len(delta) // RECORD,
                 "record": [SERIAL_BYTES, TIME_BYTES]}
    head = json.dumps(described, sort_keys=True, separators=(",", ":")).encode()
    mac = hmac.new(key, digestmod=hashlib.sha256)
    parts: list[bytes | memoryview] = [MAGIC, _LENGTH.pack(len(head)), head, base, delta]
    for part in parts:
        mac.update(part)
    return b"".join([*parts, mac.digest()])


def read_index(data: bytes | bytearray, key: bytes, issuer_fingerprint: bytes) -> RevocationIndex:
    """The index in `data` (kept, not copied), if it is intact under `key` and is the index of the
    CA with this fingerprint; else `IndexRefused` (the text says why, never quotes the bytes)."""
    size = len(data)
    if size < len(MAGIC) + 4 + TAG_BYTES or data[:len(MAGIC)] != MAGIC:
        raise IndexRefused("not a revocation index (or another format version)")
    body = memoryview(data)[:size - TAG_BYTES]
    expected = hmac.new(key, body, hashlib.sha256).digest()
    body.release()
    if not hmac.compare_digest(expected, bytes(data[size - TAG_BYTES:])):
        raise IndexRefused("integrity tag does not match: truncated, altered or made with another key")
    # From here on the bytes are the refresher's own: the checks below guard against a refresher
    # of another version, not against an attacker.
    (length,) = _LENGTH.unpack_from(data, len(MAGIC))
    start = len(MAGIC) + 4
    if length > MAX_HEADER_BYTES or start + length > size - TAG_BYTES:
        raise IndexRefused("header length out of bounds")
    try:
        header = json.loads(bytes(data[start:start + length]))
        fingerprint = bytes.fromhex(header["issuer"])
        base_entries, delta_entries = int(header["base_entries"]), int(header["delta_entries"])
        this_update = datetime.fromisoformat(header["this_update"]).astimezone(UTC)
        next_update = datetime.fromisoformat(header["next_update"]).astimezone(UTC)
        numbers = (header.get("crl_number"), header.get("delta_number"))
        layout = header["record"]
        name = str(header.get("issuer_name", ""))
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        raise IndexRefused(f"header unreadable: {type(error).__name__}") from None
    if layout != [SERIAL_BYTES, TIME_BYTES] or any(n is not None and type(n) is not int for n in numbers):
        raise IndexRefused("header of another layout")
    records = start + length
    if base_entries < 0 or delta_entries < 0 or records + (base_entries + delta_entries) * RECORD != size - TAG_BYTES:
        raise IndexRefused("record counts do not match the size")
    if not hmac.compare_digest(fingerprint, issuer_fingerprint):
        raise IndexRefused("the index of another CA")
    return RevocationIndex(
        issuer_fingerprint=fingerprint, issuer_name=name, this_update=this_update, next_update=next_update,
        crl_number=numbers[0], delta_number=numbers[1],
        base=RevokedSerials(data, records, base_entries),
        delta=RevokedSerials(data, records + base_entries * RECORD, delta_entries),
        header=header, size=size,
    )


def index_name(issuer_fingerprint: bytes) -> str:
    """The index's name in a store (an object key's or a file's last part)."""
    return f"{issuer_fingerprint.hex()}.idx"
