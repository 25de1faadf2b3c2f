"""A small, strict DER reader: elements as offsets into the caller's bytes, never copies.

Every function takes `(data, pos, end)` and answers offsets, so a caller walks a structure
(a CMS, a certificate, a CRL) and cuts out only the byte ranges it needs. What is read is
DER as X.690 defines it — one-byte tags, minimal lengths, minimal integers, DER booleans and
times — because anything else could be read two ways. The one exception, for the outer
structures of a CMS that BER encoders stream, is `ber_element`: it also takes indefinite
lengths on constructed elements, nested at most `MAX_BER_DEPTH` deep.

Everything a hostile sender can put in the bytes ends as `DerError` (safe to log: it never
quotes the bytes).
"""

from __future__ import annotations

from datetime import UTC, datetime

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
UTF8_STRING, PRINTABLE_STRING, TELETEX_STRING, IA5_STRING, BMP_STRING = 0x0C, 0x13, 0x14, 0x16, 0x1E
UTC_TIME, GENERALIZED_TIME = 0x17, 0x18
SEQUENCE, SET = 0x30, 0x31
CONSTRUCTED_OCTET_STRING = 0x24

MAX_LENGTH_BYTES = 3  # elements up to 16 MiB: more than any input verification accepts
# A national CRL (tens of MB) is the one input whose outer elements are longer: its reader asks
# for four length bytes on exactly those (`element(..., length_bytes=LONG_LENGTH_BYTES)`).
LONG_LENGTH_BYTES = 4
MAX_BER_DEPTH = 8  # nested indefinite lengths a BER encoder needs for a CMS: four
MAX_OID_BYTES = 64  # the longest OID of the field has 12 bytes; 64 leaves room, not a bomb

Element = tuple[int, int, int]  # (tag, content start, content stop)


class DerError(ValueError):
    """Bytes that are not the DER the reader expects; the text says what, never the bytes."""


def context(number: int, constructed: bool = True) -> int:
    """The tag byte of `[number]`, constructed (EXPLICIT, or IMPLICIT of a constructed type) or not."""
    return (0xA0 if constructed else 0x80) | number


def element(data: bytes, pos: int, end: int, length_bytes: int = MAX_LENGTH_BYTES) -> Element:
    """The element at `pos`, which must end by `end`: (tag, content start, content stop); its
    length in at most `length_bytes` bytes."""
    if end - pos < 2:
        raise DerError("truncated element")
    tag = data[pos]
    if tag & 0x1F == 0x1F:
        raise DerError("high tag numbers are not used here")
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0:
            raise DerError("indefinite length where DER is required")
        if count > length_bytes:
            raise DerError("element too long")
        if end - pos < count:
            raise DerError("truncated length")
        if data[pos] == 0:
            raise DerError("non-minimal length")
        length = int.from_bytes(data[pos:pos + count], "big")
        if length < 0x80:
            raise DerError("non-minimal length")
        pos += count
    stop = pos + length
    if stop > end:
        raise DerError("element runs past its container")
    return tag, pos, stop


def expect(data: bytes, pos: int, end: int, tag: int, what: str,
           length_bytes: int = MAX_LENGTH_BYTES) -> tuple[int, int]:
    """(start, stop) of the element at `pos`, which must carry `tag`."""
    got, start, stop = element(data, pos, end, length_bytes)
    if got != tag:
        raise DerError(f"{what}: expected tag 0x{tag:02x}, found 0x{got:02x}")
    return start, stop


def children(data: bytes, start: int, stop: int) -> list[Element]:
    """The elements that fill `data[start:stop]` exactly, in order."""
    # `element`'s rules, written out in the loop: this walk is most of what a request's parsing
    # costs, and a call per element is a large share of it.
    found = []
    pos = start
    while pos < stop:
        if stop - pos < 2:
            raise DerError("truncated element")
        tag = data[pos]
        length = data[pos + 1]
        if tag & 0x1F == 0x1F or length & 0x80:
            if length == 0x82 and tag & 0x1F != 0x1F and stop - pos >= 4 and data[pos + 2]:
                length = data[pos + 2] << 8 | data[pos + 3]  # 256..65535 bytes: certificates, CMS parts
                pos += 4 + length
                if pos > stop:
                    raise DerError("element runs past its container")
                found.append((tag, pos - length, pos))
                continue
            found.append(element(data, pos, stop))  # the rarer forms, with every check
            pos = found[-1][2]
            continue
        pos += 2 + length
        if pos > stop:
            raise DerError("element runs past its container")
        found.append((tag, pos - length, pos))
    return found


def element_start(start: int, stop: int) -> int:
    """Where the element whose content is [start, stop) begins (its tag byte): its length was
    read as DER, so in the fewest bytes."""
    length = stop - start
    return start - 2 if length < 0x80 else start - 2 - (length.bit_length() + 7) // 8


def ber_element(data: bytes, pos: int, end: int, depth: int = 0) -> tuple[int, int, int, int]:
    """Like `element`, but a constructed element may have an indefinite length (BER):
    (tag, content start, content stop, position after the element, its end-of-contents included)."""
    if end - pos >= 2 and data[pos + 1] == 0x80:
        tag = data[pos]
        if not tag & 0x20:
            raise DerError("indefinite length on a primitive element")
        if tag & 0x1F == 0x1F:
            raise DerError("high tag numbers are not used here")
        if depth >= MAX_BER_DEPTH:
            raise DerError("indefinite lengths nested too deep")
        start = inner = pos + 2
        while True:
            if end - inner < 2:
                raise DerError("indefinite length without its end-of-contents")
            if data[inner] == 0 and data[inner + 1] == 0:
                return tag, start, inner, inner + 2
            inner = ber_element(data, inner, end, depth + 1)[3]
    tag, start, stop = element(data, pos, end)
    return tag, start, stop, stop


def ber_children(data: bytes, start: int, stop: int) -> list[tuple[int, int, int, int]]:
    """The BER elements that fill `data[start:stop]` exactly."""
    found = []
    pos = start
    while pos < stop:
        if stop - pos >= 2 and data[pos + 1] == 0x80:
            child = ber_element(data, pos, stop)
        else:
            tag, content_start, content_stop = element(data, pos, stop)
            child = (tag, content_start, content_stop, content_stop)
        found.append(child)
        pos = child[3]
    return found


_OIDS: dict[bytes, str] = {}  # OIDs recur on every request: each is decoded once


def oid(data: bytes, start: int, stop: int) -> str:
    """An OBJECT IDENTIFIER's content as dotted text (minimal encoding only)."""
    raw = data[start:stop]
    known = _OIDS.get(raw)
    if known is not None:
        return known
    if not raw or len(raw) > MAX_OID_BYTES or raw[-1] & 0x80:
        raise DerError("malformed object identifier")
    arcs: list[int] = []
    value = 0
    fresh = True
    for byte in raw:
        if fresh and byte == 0x80:
            raise DerError("non-minimal object identifier")
        value = value << 7 | (byte & 0x7F)
        fresh = not byte & 0x80
        if fresh:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    text = ".".join(map(str, head + arcs[1:]))
    if len(_OIDS) < 4096:
        _OIDS[raw] = text
    return text


def integer(data: bytes, start: int, stop: int, max_bytes: int = 32) -> int:
    """An INTEGER's content (minimal two's complement), at most `max_bytes` long."""
    size = stop - start
    if size == 0 or size > max_bytes:
        raise DerError("integer empty or too long")
    if size > 1 and ((data[start] == 0 and not data[start + 1] & 0x80)
                     or (data[start] == 0xFF and data[start + 1] & 0x80)):
        raise DerError("non-minimal integer")
    return int.from_bytes(data[start:stop], "big", signed=True)


def unsigned_size(data: bytes, start: int, stop: int) -> tuple[int, int]:
    """(bit length, start of the magnitude) of a non-negative INTEGER's content, read without
    building the number (an RSA modulus is sized before anything is done with it)."""
    if stop == start or data[start] & 0x80:
        raise DerError("integer empty or negative")
    if stop - start > 1 and data[start] == 0:
        if not data[start + 1] & 0x80:
            raise DerError("non-minimal integer")
        start += 1
    return (stop - start - 1) * 8 + data[start].bit_length(), start


def boolean(data: bytes, start: int, stop: int) -> bool:
    if stop - start != 1 or data[start] not in (0x00, 0xFF):
        raise DerError("a DER boolean is one byte, 0x00 or 0xFF")
    return data[start] == 0xFF


def bit_string(data: bytes, start: int, stop: int) -> tuple[int, int, int]:
    """(unused bits, start, stop) of a BIT STRING's bytes after its first octet."""
    if stop == start:
        raise DerError("empty bit string")
    unused = data[start]
    if unused > 7 or (unused and stop - start == 1):
        raise DerError("malformed bit string")
    if unused and data[stop - 1] & ((1 << unused) - 1):
        raise DerError("bit string with unused bits set")
    return unused, start + 1, stop


def time(data: bytes, tag: int, start: int, stop: int) -> datetime:
    """A UTCTime (YYMMDDHHMMSSZ) or GeneralizedTime (YYYYMMDDHHMMSSZ), the DER forms, in UTC."""
    raw = data[start:stop]
    if tag == UTC_TIME and len(raw) == 13:
        year = int(raw[0:2])
        year += 1900 if year >= 50 else 2000
        rest = raw[2:12]
    elif tag == GENERALIZED_TIME and len(raw) == 15:
        year = int(raw[0:4])
        rest = raw[4:14]
    else:
        raise DerError("a time must be UTCTime or GeneralizedTime in its DER form")
    if raw[-1:] != b"Z" or not rest.isdigit() or not raw[:len(raw) - 11].isdigit():
        raise DerError("a time must be digits ending in Z")
    try:
        return datetime(year, int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8]), int(rest[8:10]),
                        tzinfo=UTC)
    except ValueError:
        raise DerError("a time that does not exist") from None


_EPOCH_DAYS: dict[bytes, int] = {}  # a CRL's million revocation dates fall on a few thousand days
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC).toordinal()


def epoch_seconds(data: bytes, tag: int, start: int, stop: int) -> int:
    """The same times as `time` (the same checks), as seconds since 1970-01-01 UTC: what a CRL's
    revocation dates are read as, without building a datetime for each of a million entries."""
    raw = data[start:stop]
    if tag == UTC_TIME and len(raw) == 13:
        date, clock = raw[:6], raw[6:12]
    elif tag == GENERALIZED_TIME and len(raw) == 15:
        date, clock = raw[:8], raw[8:14]
    else:
        raise DerError("a time must be UTCTime or GeneralizedTime in its DER form")
    if raw[-1] != 0x5A or not clock.isdigit():
        raise DerError("a time must be digits ending in Z")
    day = _EPOCH_DAYS.get(date)
    if day is None:
        if not date.isdigit():
            raise DerError("a time must be digits ending in Z")
        year = int(date[:-4])
        if len(date) == 6:
            year += 1900 if year >= 50 else 2000
        try:
            day = datetime(year, int(date[-4:-2]), int(date[-2:])).toordinal() - _EPOCH
        except ValueError:
            raise DerError("a time that does not exist") from None
        if len(_EPOCH_DAYS) >= 65536:
            _EPOCH_DAYS.clear()
        _EPOCH_DAYS[date] = day
    moment = int(clock)
    hours, minutes, seconds = moment // 10000, moment // 100 % 100, moment % 100
    if hours > 23 or minutes > 59 or seconds > 59:
        raise DerError("a time that does not exist")
    return day * 86400 + hours * 3600 + minutes * 60 + seconds


def text(data: bytes, tag: int, start: int, stop: int) -> str:
    """A directory string's value: UTF8String, PrintableString, IA5String, TeletexString (read as
    Latin-1) or BMPString."""
    raw = data[start:stop]
    try:
        if tag in (UTF8_STRING, PRINTABLE_STRING, IA5_STRING):
            return raw.decode("utf-8" if tag == UTF8_STRING else "ascii")
        if tag == BMP_STRING:
            return raw.decode("utf-16-be")
        if tag == TELETEX_STRING:
            return raw.decode("latin-1")
    except UnicodeDecodeError:
        raise DerError("a string that does not decode") from None
    raise DerError(f"tag 0x{tag:02x} is not a directory string")
