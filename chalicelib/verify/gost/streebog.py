"""GOST 34.11-2015 (= GOST R 34.11-2012) "Streebog" hash, 512- and 256-bit (RFC 6986).

Pure Python, standard library only.

Conventions: the 512-bit internal vectors are Python ints whose little-endian 64-byte
encoding is the byte string the hash works on (byte 0 is the least significant byte, the
rightmost one in RFC 6986's notation).  A message is taken from its first byte on, in
64-byte blocks, which is RFC 6986's "from the right" once the RFC's reversed notation is
accounted for; the digest is the little-endian encoding of the final vector (the 256-bit
variant keeps its most significant half).  These are the byte orders every implementation
outputs (and that the Kazakh NCA signatures use).

Speed: the S (substitution), P (byte transposition) and L (linear map) steps are merged into
eight 256-entry tables of 64-bit words, built once at import (about a millisecond), so one
LPS step is 64 table look-ups.
"""

from __future__ import annotations

import struct

__all__ = ["Streebog", "streebog256", "streebog512"]

# RFC 6986 section 6.1: the substitution Pi.
_PI = bytes((
    252, 238, 221, 17, 207, 110, 49, 22, 251, 196, 250, 218, 35, 197, 4, 77,
    233, 119, 240, 219, 147, 46, 153, 186, 23, 54, 241, 187, 20, 205, 95, 193,
    249, 24, 101, 90, 226, 92, 239, 33, 129, 28, 60, 66, 139, 1, 142, 79,
    5, 132, 2, 174, 227, 106, 143, 160, 6, 11, 237, 152, 127, 212, 211, 31,
    235, 52, 44, 81, 234, 200, 72, 171, 242, 42, 104, 162, 253, 58, 206, 204,
    181, 112, 14, 86, 8, 12, 118, 18, 191, 114, 19, 71, 156, 183, 93, 135,
    21, 161, 150, 41, 16, 123, 154, 199, 243, 145, 120, 111, 157, 158, 178, 177,
    50, 117, 25, 61, 255, 53, 138, 126, 109, 84, 198, 128, 195, 189, 13, 87,
    223, 245, 36, 169, 62, 168, 67, 201, 215, 121, 214, 246, 124, 34, 185, 3,
    224, 15, 236, 222, 122, 148, 176, 188, 220, 232, 40, 80, 78, 51, 10, 74,
    167, 151, 96, 115, 30, 0, 98, 68, 26, 184, 56, 130, 100, 159, 38, 65,
    173, 69, 70, 146, 39, 94, 85, 47, 140, 163, 165, 125, 105, 213, 149, 59,
    7, 88, 179, 64, 134, 172, 29, 247, 48, 55, 107, 228, 136, 217, 231, 137,
    225, 27, 131, 73, 76, 63, 248, 254, 141, 83, 170, 144, 202, 216, 133, 97,
    32, 113, 103, 164, 45, 43, 9, 91, 203, 155, 37, 208, 190, 229, 108, 82,
    89, 166, 116, 210, 230, 244, 180, 192, 209, 102, 175, 194, 57, 75, 99, 182,
))

# RFC 6986 section 6.3: the rows of the matrix A of the linear map l; row j is the image of
# bit (63 - j) of a 64-bit word.
_A = (
    0x8E20FAA72BA0B470, 0x47107DDD9B505A38, 0xAD08B0E0C3282D1C, 0xD8045870EF14980E,
    0x6C022C38F90A4C07, 0x3601161CF205268D, 0x1B8E0B0E798C13C8, 0x83478B07B2468764,
    0xA011D380818E8F40, 0x5086E740CE47C920, 0x2843FD2067ADEA10, 0x14AFF010BDD87508,
    0x0AD97808D06CB404, 0x05E23C0468365A02, 0x8C711E02341B2D01, 0x46B60F011A83988E,
    0x90DAB52A387AE76F, 0x486DD4151C3DFDB9, 0x24B86A840E90F0D2, 0x125C354207487869,
    0x092E94218D243CBA, 0x8A174A9EC8121E5D, 0x4585254F64090FA0, 0xACCC9CA9328A8950,
    0x9D4DF05D5F661451, 0xC0A878A0A1330AA6, 0x60543C50DE970553, 0x302A1E286FC58CA7,
    0x18150F14B9EC46DD, 0x0C84890AD27623E0, 0x0642CA05693B9F70, 0x0321658CBA93C138,
    0x86275DF09CE8AAA8, 0x439DA0784E745554, 0xAFC0503C273AA42A, 0xD960281E9D1D5215,
    0xE230140FC0802984, 0x71180A8960409A42, 0xB60C05CA30204D21, 0x5B068C651810A89E,
    0x456C34887A3805B9, 0xAC361A443D1C8CD2, 0x561B0D22900E4669, 0x2B838811480723BA,
    0x9BCF4486248D9F5D, 0xC3E9224312C8C1A0, 0xEFFA11AF0964EE50, 0xF97D86D98A327728,
    0xE4FA2054A80B329C, 0x727D102A548B194E, 0x39B008152ACB8227, 0x9258048415EB419D,
    0x492C024284FBAEC0, 0xAA16012142F35760, 0x550B8E9E21F7A530, 0xA48B474F9EF5DC18,
    0x70A6A56E2440598E, 0x3853DC371220A247, 0x1CA76E95091051AD, 0x0EDD37C48A08A6D8,
    0x07E095624504536C, 0x8D70C431AC02A736, 0xC83862965601DD1B, 0x641C314B2B8EE083,
)

# RFC 6986 section 6.4: the iteration constants C_1..C_12, written as in the RFC (most
# significant byte first), i.e. directly as the integers of our little-endian convention.
_C = tuple(int(h, 16) for h in (
    "b1085bda1ecadae9ebcb2f81c0657c1f2f6a76432e45d016714eb88d7585c4fc"
    "4b7ce09192676901a2422a08a460d31505767436cc744d23dd806559f2a64507",
    "6fa3b58aa99d2f1a4fe39d460f70b5d7f3feea720a232b9861d55e0f16b50131"
    "9ab5176b12d699585cb561c2db0aa7ca55dda21bd7cbcd56e679047021b19bb7",
    "f574dcac2bce2fc70a39fc286a3d843506f15e5f529c1f8bf2ea7514b1297b7b"
    "d3e20fe490359eb1c1c93a376062db09c2b6f443867adb31991e96f50aba0ab2",
    "ef1fdfb3e81566d2f948e1a05d71e4dd488e857e335c3c7d9d721cad685e353f"
    "a9d72c82ed03d675d8b71333935203be3453eaa193e837f1220cbebc84e3d12e",
    "4bea6bacad4747999a3f410c6ca923637f151c1f1686104a359e35d7800fffbd"
    "bfcd1747253af5a3dfff00b723271a167a56a27ea9ea63f5601758fd7c6cfe57",
    "ae4faeae1d3ad3d96fa4c33b7a3039c02d66c4f95142a46c187f9ab49af08ec6"
    "cffaa6b71c9ab7b40af21f66c2bec6b6bf71c57236904f35fa68407a46647d6e",
    "f4c70e16eeaac5ec51ac86febf240954399ec6c7e6bf87c9d3473e33197a93c9"
    "0992abc52d822c3706476983284a05043517454ca23c4af38886564d3a14d493",
    "9b1f5b424d93c9a703e7aa020c6e41414eb7f8719c36de1e89b4443b4ddbc49a"
    "f4892bcb929b069069d18d2bd1a5c42f36acc2355951a8d9a47f0dd4bf02e71e",
    "378f5a541631229b944c9ad8ec165fde3a7d3a1b258942243cd955b7e00d0984"
    "800a440bdbb2ceb17b2b8a9aa6079c540e38dc92cb1f2a607261445183235adb",
    "abbedea680056f52382ae548b2e4f3f38941e71cff8a78db1fffe18a1b336103"
    "9fe76702af69334b7a1e6c303b7652f43698fad1153bb6c374b4c7fb98459ced",
    "7bcd9ed0efc889fb3002c6cd635afe94d8fa6bbbebab07612001802114846679"
    "8a1d71efea48b9caefbacd1d7d476e98dea2594ac06fd85d6bcaa4cd81f32d1b",
    "378ee767f11631bad21380b00449b17acda43c32bcdf1d77f82012d430219f9b"
    "5d80ef9d1891cc86e71da4aa88e12852faf417d5d9b21b9948bc924af11bd720",
))

_MASK512 = (1 << 512) - 1


def _build_tables() -> tuple[list[int], ...]:
    """T[m][b] = l(Pi[b] << 8m): the LPS contribution of byte b found in input word m.

    After the transposition P, byte m of output word k is Pi(byte k of input word m), and l is
    linear, so output word k = XOR over m of T[m][byte k of input word m].
    """
    tables = []
    for m in range(8):
        basis = [_A[63 - 8 * m - t] for t in range(8)]  # l(1 << (8m + t))
        lin = [0] * 256
        for v in range(1, 256):
            low = v & -v
            lin[v] = lin[v ^ low] ^ basis[low.bit_length() - 1]
        tables.append([lin[_PI[b]] for b in range(256)])
    return tuple(tables)


_TABLES = _build_tables()
_UNPACK64 = struct.Struct("64B").unpack
_PACK8 = struct.Struct("<8Q").pack
_FROM_BYTES = int.from_bytes


def _lps(x: int) -> int:
    """One LPS step (substitution, transposition, linear map) of RFC 6986."""
    (
        b0, b1, b2, b3, b4, b5, b6, b7, b8, b9, b10, b11, b12, b13, b14, b15,
        b16, b17, b18, b19, b20, b21, b22, b23, b24, b25, b26, b27, b28, b29, b30, b31,
        b32, b33, b34, b35, b36, b37, b38, b39, b40, b41, b42, b43, b44, b45, b46, b47,
        b48, b49, b50, b51, b52, b53, b54, b55, b56, b57, b58, b59, b60, b61, b62, b63,
    ) = _UNPACK64(x.to_bytes(64, "little"))
    t0, t1, t2, t3, t4, t5, t6, t7 = _TABLES
    return _FROM_BYTES(_PACK8(
        t0[b0] ^ t1[b8] ^ t2[b16] ^ t3[b24]
        ^ t4[b32] ^ t5[b40] ^ t6[b48] ^ t7[b56],
        t0[b1] ^ t1[b9] ^ t2[b17] ^ t3[b25]
        ^ t4[b33] ^ t5[b41] ^ t6[b49] ^ t7[b57],
        t0[b2] ^ t1[b10] ^ t2[b18] ^ t3[b26]
        ^ t4[b34] ^ t5[b42] ^ t6[b50] ^ t7[b58],
        t0[b3] ^ t1[b11] ^ t2[b19] ^ t3[b27]
        ^ t4[b35] ^ t5[b43] ^ t6[b51] ^ t7[b59],
        t0[b4] ^ t1[b12] ^ t2[b20] ^ t3[b28]
        ^ t4[b36] ^ t5[b44] ^ t6[b52] ^ t7[b60],
        t0[b5] ^ t1[b13] ^ t2[b21] ^ t3[b29]
        ^ t4[b37] ^ t5[b45] ^ t6[b53] ^ t7[b61],
        t0[b6] ^ t1[b14] ^ t2[b22] ^ t3[b30]
        ^ t4[b38] ^ t5[b46] ^ t6[b54] ^ t7[b62],
        t0[b7] ^ t1[b15] ^ t2[b23] ^ t3[b31]
        ^ t4[b39] ^ t5[b47] ^ t6[b55] ^ t7[b63],
    ), "little")


def _g(n: int, h: int, m: int) -> int:
    """The compression function g_N(h, m) of RFC 6986 section 7."""
    lps = _lps
    k = lps(h ^ n)
    t = m
    for c in _C:
        t = lps(k ^ t)
        k = lps(k ^ c)
    return k ^ t ^ h ^ m


class Streebog:
    """Incremental Streebog (hashlib-like: update(), digest(), hexdigest(), copy())."""

    __slots__ = ("_buf", "_h", "_n", "_sigma", "digest_size")

    block_size = 64

    def __init__(self, digest_size: int = 64, data: bytes | memoryview = b"") -> None:
        if digest_size not in (32, 64):
            raise ValueError("Streebog digest_size must be 32 or 64")
        self.digest_size = digest_size
        # IV: all zero bytes for the 512-bit hash, all 0x01 bytes for the 256-bit one.
        self._h = 0 if digest_size == 64 else int.from_bytes(b"\x01" * 64, "little")
        self._n = 0
        self._sigma = 0
        self._buf = b""
        if data:
            self.update(data)

    @property
    def name(self) -> str:
        return f"streebog{self.digest_size * 8}"

    def update(self, data: bytes | memoryview) -> None:
        # A CRL's tbsCertList comes as a view of tens of MB: read in place, not copied.
        data = memoryview(self._buf + bytes(data) if self._buf else data)
        full = len(data) - len(data) % 64
        h, n, sigma = self._h, self._n, self._sigma
        g = _g
        from_bytes = int.from_bytes
        for i in range(0, full, 64):
            m = from_bytes(data[i:i + 64], "little")
            h = g(n, h, m)
            n = (n + 512) & _MASK512
            sigma = (sigma + m) & _MASK512
        self._h, self._n, self._sigma = h, n, sigma
        self._buf = bytes(data[full:])

    def copy(self) -> Streebog:
        other = Streebog.__new__(Streebog)
        other.digest_size = self.digest_size
        other._h, other._n, other._sigma, other._buf = self._h, self._n, self._sigma, self._buf
        return other

    def digest(self) -> bytes:
        tail = self._buf
        # Padding: the remaining bytes, then one 0x01 byte, then zero bytes up to 64.
        m = int.from_bytes(tail + b"\x01" + bytes(63 - len(tail)), "little")
        h = _g(self._n, self._h, m)
        n = (self._n + 8 * len(tail)) & _MASK512
        sigma = (self._sigma + m) & _MASK512
        h = _g(0, h, n)
        h = _g(0, h, sigma)
        out = h.to_bytes(64, "little")
        return out if self.digest_size == 64 else out[32:]

    def hexdigest(self) -> str:
        return self.digest().hex()


def streebog512(data: bytes | memoryview) -> bytes:
    """GOST 34.11-2015 512-bit digest of data (64 bytes)."""
    return Streebog(64, data).digest()


def streebog256(data: bytes | memoryview) -> bytes:
    """GOST 34.11-2015 256-bit digest of data (32 bytes)."""
    return Streebog(32, data).digest()
