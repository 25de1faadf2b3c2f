"""GOST R 34.11-94 hash with the id-GostR3411-94-TestParamSet S-box and a zero IV.

This is the hash the Kazakh standard GOST 34.311-95 adopted, used by the NCA's
GOST 34.310-2004 signatures (digest OID 1.2.398.3.10.1.3.1).  The algorithm is RFC 5831;
its test vectors apply.  Pure Python, standard library only.

Conventions are the usual ones of implementations (and of the NCA files): a message is taken
in 32-byte blocks from its first byte on, each block read as a little-endian 256-bit integer,
the final partial block padded with zero bytes at its end, and the digest is the little-endian
encoding of the final 256-bit state.

Speed: the GOST 28147-89 round function (S-box substitution and 11-bit rotation) is four
256-entry tables; the linear "psi" shuffles psi^12 and psi^61 are applied as 32 byte-indexed
tables each, built on first use (a few milliseconds).
"""

from __future__ import annotations

import functools
import struct

__all__ = ["Gost94", "gost94"]

# id-GostR3411-94-TestParamSet (RFC 5831 section 11.2, RFC 4357): row j substitutes
# nibble j (bits 4j..4j+3) of the 32-bit word.
_SBOX = (
    (4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3),
    (14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9),
    (5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11),
    (7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3),
    (6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2),
    (4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14),
    (13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12),
    (1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12),
)

# The constant C_3 of the key generation (C_2 = C_4 = 0), RFC 5831 section 6.1.
_C3 = 0xFF00FFFF000000FFFF0000FF00FFFF0000FF00FF00FF00FFFF00FF00FF00FF00

_M32 = 0xFFFFFFFF
_M64 = (1 << 64) - 1
_M256 = (1 << 256) - 1
_UNPACK_KEYS = struct.Struct("<8I").unpack


def _build_round_tables() -> tuple[list[int], ...]:
    """F[t][v]: substitution and rotation (left by 11 bits) of byte v at position t."""
    tables = []
    for t in range(4):
        lo, hi = _SBOX[2 * t], _SBOX[2 * t + 1]
        table = []
        for v in range(256):
            x = (lo[v & 15] | hi[v >> 4] << 4) << (8 * t)
            table.append(((x << 11) | (x >> 21)) & _M32)
        tables.append(table)
    return tuple(tables)


_F0, _F1, _F2, _F3 = _build_round_tables()


def _encrypt(k: tuple[int, ...], block: int) -> int:
    """GOST 28147-89 encryption of a 64-bit block (low 32 bits = N1) under subkeys k."""
    f0, f1, f2, f3 = _F0, _F1, _F2, _F3
    m32 = _M32
    a = block & m32
    b = block >> 32
    k0, k1, k2, k3, k4, k5, k6, k7 = k
    for ka, kb, kc, kd, ke, kf, kg, kh in (
        (k0, k1, k2, k3, k4, k5, k6, k7),
        (k0, k1, k2, k3, k4, k5, k6, k7),
        (k0, k1, k2, k3, k4, k5, k6, k7),
        (k7, k6, k5, k4, k3, k2, k1, k0),
    ):
        t = (a + ka) & m32
        b ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (b + kb) & m32
        a ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (a + kc) & m32
        b ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (b + kd) & m32
        a ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (a + ke) & m32
        b ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (b + kf) & m32
        a ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (a + kg) & m32
        b ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
        t = (b + kh) & m32
        a ^= f0[t & 255] ^ f1[t >> 8 & 255] ^ f2[t >> 16 & 255] ^ f3[t >> 24]
    # After 32 rounds the halves come out swapped: the last round does not swap.
    return b | a << 32


def _a(y: int) -> int:
    """A(y4 || y3 || y2 || y1) = (y1 ^ y2) || y4 || y3 || y2 (64-bit words, y1 lowest)."""
    return (y >> 64) | ((y ^ (y >> 64)) & _M64) << 192


def _p_keys(w: int) -> tuple[int, ...]:
    """The 32-bit subkeys of P(w): byte i + 4k of P(w) is byte 8i + k of w, so subkey k
    gathers byte k of each 64-bit word of w."""
    b = w.to_bytes(32, "little")
    return _UNPACK_KEYS(b[0::8] + b[1::8] + b[2::8] + b[3::8]
                        + b[4::8] + b[5::8] + b[6::8] + b[7::8])


def _psi(y: int) -> int:
    """psi(y16 || ... || y1) = (y1 ^ y2 ^ y3 ^ y4 ^ y13 ^ y16) || y16 || ... || y2."""
    fb = (y ^ (y >> 16) ^ (y >> 32) ^ (y >> 48) ^ (y >> 192) ^ (y >> 240)) & 0xFFFF
    return (y >> 16) | fb << 240


@functools.cache  # built on first use; a race builds the same tables twice, harmlessly
def _psi_powers() -> tuple:
    """psi^12 and psi^61 (linear over GF(2)) as 32 byte-indexed tables each."""
    return _psi_power(12), _psi_power(61)


def _psi_power(power: int) -> tuple:
    # psi acts on whole 16-bit words (moves and XORs), so it commutes with shifting every
    # word left by b < 16 bits: psi^k(bit 16w + b) = psi^k(bit 16w) << b.  Only the 16
    # word-aligned unit vectors need the k applications.
    images = []
    for w in range(16):
        y = 1 << (16 * w)
        for _ in range(power):
            y = _psi(y)
        images.append(y)
    out = []
    for i in range(32):
        basis = []
        for bit in range(8):
            w, b = divmod(8 * i + bit, 16)
            basis.append(images[w] << b)
        table = [0] * 256
        for v in range(1, 256):
            low = v & -v
            table[v] = table[v ^ low] ^ basis[low.bit_length() - 1]
        out.append(table)
    return tuple(out)


def _apply(tables: tuple, y: int) -> int:
    b = y.to_bytes(32, "little")
    r = 0
    for table, v in zip(tables, b, strict=True):
        r ^= table[v]
    return r


def _step(h: int, m: int, psi12: tuple, psi61: tuple) -> int:
    """The step hash function f(H, M) of RFC 5831 section 6."""
    # Key generation.
    u, v = h, m
    k1 = _p_keys(u ^ v)
    u = _a(u)
    v = _a(_a(v))
    k2 = _p_keys(u ^ v)
    u = _a(u) ^ _C3
    v = _a(_a(v))
    k3 = _p_keys(u ^ v)
    u = _a(u)
    v = _a(_a(v))
    k4 = _p_keys(u ^ v)
    # Encryption of the four 64-bit words of H.
    s = (_encrypt(k1, h & _M64)
         | _encrypt(k2, (h >> 64) & _M64) << 64
         | _encrypt(k3, (h >> 128) & _M64) << 128
         | _encrypt(k4, h >> 192) << 192)
    # Mixing: psi^61(H ^ psi(M ^ psi^12(S))).
    return _apply(psi61, h ^ _psi(m ^ _apply(psi12, s)))


class Gost94:
    """Incremental GOST R 34.11-94 (test parameters, zero IV); hashlib-like interface."""

    __slots__ = ("_buf", "_h", "_length", "_sigma")

    digest_size = 32
    block_size = 32
    name = "gost34311-95"

    def __init__(self, data: bytes | memoryview = b"") -> None:
        self._h = 0
        self._sigma = 0
        self._length = 0
        self._buf = b""
        if data:
            self.update(data)

    def update(self, data: bytes | memoryview) -> None:
        data = self._buf + bytes(data)
        full = len(data) - len(data) % 32
        if full:
            psi12, psi61 = _psi_powers()
            h, sigma = self._h, self._sigma
            from_bytes = int.from_bytes
            for i in range(0, full, 32):
                m = from_bytes(data[i:i + 32], "little")
                h = _step(h, m, psi12, psi61)
                sigma = (sigma + m) & _M256
            self._h, self._sigma = h, sigma
            self._length += 8 * full
        self._buf = data[full:]

    def copy(self) -> Gost94:
        other = Gost94.__new__(Gost94)
        other._h, other._sigma, other._length, other._buf = (
            self._h, self._sigma, self._length, self._buf)
        return other

    def digest(self) -> bytes:
        psi12, psi61 = _psi_powers()
        h, sigma, length = self._h, self._sigma, self._length
        tail = self._buf
        if tail:
            m = int.from_bytes(tail, "little")  # zero-padded at its end
            h = _step(h, m, psi12, psi61)
            sigma = (sigma + m) & _M256
            length += 8 * len(tail)
        h = _step(h, length & _M256, psi12, psi61)
        h = _step(h, sigma, psi12, psi61)
        return h.to_bytes(32, "little")

    def hexdigest(self) -> str:
        return self.digest().hex()


def gost94(data: bytes | memoryview) -> bytes:
    """GOST R 34.11-94 (test S-box, zero IV) = GOST 34.311-95 digest of data (32 bytes)."""
    return Gost94(data).digest()
