"""Elliptic curves of the GOST 34.10 signatures we verify, and fast point arithmetic.

Curves (short Weierstrass y^2 = x^3 + a*x + b over GF(p), prime order q, cofactor 1):

* id-tc26-gost-3410-12-512-paramSetA (RFC 7836, R 1323565.1.024-2019), the curve of the NCA's
  GOST 34.10-2015/512 keys (Kazakh parameter OID 1.2.398.3.10.1.1.2.2.1);
* id-GostR3410-2001-CryptoPro-A-ParamSet (RFC 4357, = id-tc26-gost-3410-2012-256-paramSetB of
  RFC 7836), the curve of the NCA's GOST 34.310-2004 keys (Kazakh OID 1.2.398.3.10.1.1.1.1.1).

Both have a = -3 (the arithmetic below exploits it):

* Jacobian coordinates, the a = -3 doubling formula (3M + 5S) and mixed Jacobian + affine
  additions (7M + 4S);
* field elements are GMP integers (gmpy2), each product reduced mod p at once: GMP's 512-bit
  multiplication and division cost a fraction of Python's, where the interpreter's work per
  operation, not the arithmetic, now dominates (a new key's verification is 1.7–1.8x as
  fast as with Python ints and folded reductions);
* z1*G + z2*Q as one interleaved w-NAF chain (Shamir's trick): the doublings are shared and
  the odd multiples of G come from a table built once per curve (lazily, on first use:
  about 20 ms for the 512-bit curve);
* for a public key seen again (CA keys recur constantly), a small LRU cache keeps tables of
  the odd multiples of Q, 2^k Q, 2^2k Q, ... so that a warm verification splits both scalars
  into k-bit pieces and needs only k doublings instead of n.  A cold key costs n doublings.

Only public data is handled here (signature verification), so nothing tries to be
constant-time.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict

# Field elements are GMP integers; scalars (mod q) stay Python ints.
from gmpy2 import mpz as _field  # type: ignore[import-untyped]

__all__ = ["CRYPTOPRO_A", "CURVES", "PARAMSET_512_A", "Curve"]

# w-NAF window widths (a table holds 2^(w-2) odd multiples): the generator's first table, used
# alone for a cold key, and its tables for the higher pieces (all built once per curve); a cold
# public key's table (built for one verification) and a cached key's tables.
_G_WINDOW_FIRST = 12
_G_WINDOW = 10
_Q_WINDOW = 5
_Q_WINDOW_CACHED = 6
# Bits per piece when scalars are split over precomputed multiples 2^(piece*i) of a point.
_PIECE_BITS = 128
# Per-key tables kept (about 40 KB each for the 512-bit curve) and keys remembered as seen.
_KEY_CACHE_SIZE = 32
_SEEN_KEYS_SIZE = 1024


class Curve:
    """A GOST 34.10 curve with a = -3."""

    def __init__(self, name: str, p: int, a: int, b: int, q: int, gx: int, gy: int,
                 size: int) -> None:
        n = p.bit_length()
        if a != p - 3:
            raise ValueError("this arithmetic needs a = -3")
        self.name = name
        self.p, self.a, self.b, self.q = _field(p), _field(a), _field(b), q
        self.gx, self.gy = _field(gx), _field(gy)
        self.size = size  # bytes per coordinate and per signature half
        self._n = n
        self._pieces = -(-q.bit_length() // _PIECE_BITS)
        self._lock = threading.Lock()
        self._key_tables: OrderedDict = OrderedDict()
        self._seen_keys: OrderedDict = OrderedDict()

    def __repr__(self) -> str:
        return f"Curve({self.name})"

    # -- points ---------------------------------------------------------------------------

    def is_on_curve(self, x: int, y: int) -> bool:
        p = self.p
        return 0 <= x < p and 0 <= y < p and (y * y - (x * x * x + self.a * x + self.b)) % p == 0

    @functools.cached_property  # built once per curve on first use (the property locks)
    def generator_table(self) -> tuple:
        """(table, w) of the odd multiples of G."""
        return self._odd_multiples(self.gx, self.gy, _G_WINDOW_FIRST), _G_WINDOW_FIRST

    @functools.cached_property
    def generator_split_tables(self) -> list:
        """(table, w) for G, 2^k G, 2^2k G, ... (k = _PIECE_BITS), when a recurring key first
        needs them."""
        x, y = self._shift_point(self.gx, self.gy, _PIECE_BITS)
        return [self.generator_table, *self._split_tables(x, y, _G_WINDOW, self._pieces - 1)]

    def _split_tables(self, x: int, y: int, w: int, pieces: int | None = None) -> list:
        """(table, w) for P, 2^k P, 2^2k P, ... (k = _PIECE_BITS), pieces tables."""
        tables = []
        for i in range(self._pieces if pieces is None else pieces):
            if i:
                x, y = self._shift_point(x, y, _PIECE_BITS)
            tables.append((self._odd_multiples(x, y, w), w))
        return tables

    def _cached_key_tables(self, x: int, y: int) -> list | None:
        """The split tables of a public key seen before, or None on its first sighting.

        Building them costs about as much as one cold verification, so a key gets them only
        when it comes back: one-off keys (a voter's) never pay, CA keys pay once.  One-off keys
        only fill the list of keys seen, never evicting the tables of recurring ones."""
        key = (x, y)
        with self._lock:
            tables = self._key_tables.get(key)
            if tables is not None:
                self._key_tables.move_to_end(key)
                return tables
            if key not in self._seen_keys:
                self._seen_keys[key] = None
                if len(self._seen_keys) > _SEEN_KEYS_SIZE:
                    self._seen_keys.popitem(last=False)
                return None
            del self._seen_keys[key]
        tables = self._split_tables(x, y, _Q_WINDOW_CACHED)
        with self._lock:
            self._key_tables[key] = tables
            if len(self._key_tables) > _KEY_CACHE_SIZE:
                self._key_tables.popitem(last=False)
        return tables

    def clear_key_cache(self) -> None:
        """Forget every public key (tables and sightings)."""
        with self._lock:
            self._key_tables.clear()
            self._seen_keys.clear()

    def _shift_point(self, x: int, y: int, k: int) -> tuple[int, int]:
        """2^k * (x, y) in affine coordinates (the point has prime order q > 2^k)."""
        events: list[list[tuple[int, int]] | None] = [None] * (k + 1)
        events[k] = [(x, y)]
        shifted = self._chain(events)
        assert shifted is not None  # a multiple of a point of prime order q > 2^k is finite
        return self._to_affine(*shifted)

    def _to_affine(self, X: int, Y: int, Z: int) -> tuple[int, int]:
        p = self.p
        zi = pow(Z % p, -1, p)
        zi2 = zi * zi % p
        return X * zi2 % p, Y * zi2 * zi % p

    def _odd_multiples(self, x: int, y: int, w: int) -> list:
        """Affine (x, y) of P, 3P, 5P, ..., (2^(w-1) - 1)P, fully reduced, for a point P of
        prime order q > 2^w, with a single inversion.

        2P = (X2, Y2, Z2) is computed in Jacobian coordinates; on the isomorphic curve scaled
        by Z2 it is the affine point (X2, Y2) and P is (x Z2^2, y Z2^3), so the odd multiples
        come from mixed additions there (which do not involve a) and map back with Z * Z2.
        The Z's are then inverted together (Montgomery's trick)."""
        p = self.p
        count = 1 << (w - 2)
        # 2P, a = -3 doubling of (x, y, 1).
        yy = y * y % p
        beta = x * yy % p
        alpha = 3 * (x - 1) * (x + 1) % p
        x2 = (alpha * alpha - 8 * beta) % p
        y2 = (alpha * (4 * beta - x2) - 8 * (yy * yy)) % p
        z2 = 2 * y % p
        zz2 = z2 * z2 % p
        jac = [(x, y, 1)]
        X, Y, Z = x * zz2 % p, y * zz2 * z2 % p, 1
        madd = self._madd
        for _ in range(count - 1):
            # (2i+1)P + 2P: never equal or opposite points since q > 2^w.
            X, Y, Z = madd(X, Y, Z, x2, y2)
            jac.append((X % p, Y % p, Z * z2 % p))
        prefix = [1] * count
        acc = 1
        for i, (_, _, z) in enumerate(jac):
            prefix[i] = acc
            acc = acc * z % p
        inv = pow(acc, -1, p)
        out: list[tuple[int, int]] = [(0, 0)] * count
        for i in range(count - 1, -1, -1):
            X, Y, Z = jac[i]
            zi = inv * prefix[i] % p
            inv = inv * Z % p
            zi2 = zi * zi % p
            out[i] = (X * zi2 % p, Y * zi2 * zi % p)
        return out

    def _madd(self, X: int, Y: int, Z: int, x2: int, y2: int) -> tuple[int, int, int]:
        """(X, Y, Z) + (x2, y2) for distinct, non-opposite, finite points."""
        p = self.p
        zz = Z * Z % p
        h = x2 * zz % p - X
        rr = 2 * (y2 * (Z * zz % p) % p - Y)
        hh = h * h % p
        i4 = 4 * hh
        j = h * i4 % p
        vv = X * i4 % p
        x3 = (rr * rr - j - 2 * vv) % p
        y3 = (rr * (vv - x3) - 2 * Y * j) % p
        t = Z + h
        return x3, y3, (t * t - zz - hh) % p

    # -- verification core ----------------------------------------------------------------

    def verify_digest(self, qx: int, qy: int, e: int, r: int, s: int, *,
                      cache_key: bool = False) -> bool:
        """GOST 34.10 check for a validated public key Q = (qx, qy), the digest as an integer
        e with 0 < e < q, and a signature (r, s) with 0 < r, s < q.

        With cache_key, a key seen before gets (or reuses) cached split tables."""
        qx, qy = _field(qx), _field(qy)
        q = self.q
        v = pow(e, -1, q)
        z1 = s * v % q
        z2 = (q - r) * v % q
        key_tables = self._cached_key_tables(qx, qy) if cache_key else None
        if key_tables is not None:
            events: list = [None] * (_PIECE_BITS + 2)
            _add_split_events(events, z1, self.generator_split_tables)
            _add_split_events(events, z2, key_tables)
        else:
            events = [None] * (self._n + 2)
            table, w = self.generator_table
            _add_events(events, z1, table, w)
            _add_events(events, z2, self._odd_multiples(qx, qy, _Q_WINDOW), _Q_WINDOW)
        res = self._chain(events)
        if res is None:
            return False
        X, _, Z = res
        p = self.p
        zz = Z * Z % p
        if zz == 0:
            return False
        # C.x = X / Z^2; accept iff C.x mod q == r, i.e. C.x == r, or C.x == r + q < p.
        X %= p
        if r * zz % p == X:
            return True
        rq = r + q
        return rq < p and rq * zz % p == X

    def _chain(self, events: list[list[tuple[int, int]] | None]) -> tuple[int, int, int] | None:
        """Sum over i of 2^i * (sum of the affine points in events[i]), in Jacobian coordinates
        (reduced mod p, or just below 0 after a subtraction); None for the point at infinity."""
        # The doubling and the mixed addition (the same formulas as `_madd`) are written out in
        # this loop on purpose: a Python call per step is a large share of the loop's cost.
        p = self.p
        X = Y = Z = 0
        inf = True
        for i in range(len(events) - 1, -1, -1):
            if not inf:
                # Doubling, a = -3 (dbl-2001-b, 3M + 5S).  The doubling of a finite point is
                # finite: the group has odd prime order.
                delta = (Z * Z) % p
                gamma = (Y * Y) % p
                beta = (X * gamma) % p
                alpha = (3 * (X - delta) * (X + delta)) % p
                t = Y + Z
                Z = (t * t - gamma - delta) % p
                X = (alpha * alpha - 8 * beta) % p
                Y = (alpha * (4 * beta - X) - 8 * (gamma * gamma)) % p
            points = events[i]
            if not points:
                continue
            for x2, y2 in points:
                if inf:
                    X, Y, Z = x2, y2, 1
                    inf = False
                    continue
                # Mixed addition (madd-2007-bl, 7M + 4S).
                zz = (Z * Z) % p
                h = (x2 * zz) % p - X
                rr = (y2 * (Z * zz % p)) % p - Y
                if h % p == 0:
                    if rr % p:
                        inf = True  # P + (-P)
                    else:
                        X, Y, Z = _affine_double(x2, y2, p)
                    continue
                rr += rr
                hh = (h * h) % p
                i4 = 4 * hh
                j = (h * i4) % p
                vv = (X * i4) % p
                x3 = (rr * rr - j - 2 * vv) % p
                Y = (rr * (vv - x3) - 2 * Y * j) % p
                t = Z + h
                Z = (t * t - zz - hh) % p
                X = x3
        if inf:
            return None
        return X, Y, Z


def _affine_double(x: int, y: int, p: int) -> tuple[int, int, int]:
    x %= p
    y %= p
    lam = (3 * x * x - 3) * pow(2 * y, -1, p) % p
    x3 = (lam * lam - 2 * x) % p
    return x3, (lam * (x - x3) - y) % p, 1


def _add_events(events: list, k: int, table: list, w: int) -> None:
    """Add the width-w NAF of k >= 0 to the chain events: the digit d at bit i puts the table
    entry for |d| (negated if d < 0) into events[i].  Runs of zero digits are skipped."""
    mask = (1 << w) - 1
    half = 1 << (w - 1)
    pos = 0
    while k:
        zeros = (k & -k).bit_length() - 1
        k >>= zeros
        pos += zeros
        d = k & mask
        if d >= half:
            d -= mask + 1
            x, y = table[(-d) >> 1]
            point = (x, -y)
        else:
            point = table[d >> 1]
        slot = events[pos]
        if slot is None:
            events[pos] = [point]
        else:
            slot.append(point)
        k = (k - d) >> w  # k - d is divisible by 2^w: the next w - 1 digits are zero
        pos += w


def _add_split_events(events: list, k: int, tables: list) -> None:
    """Events for k split into _PIECE_BITS-bit pieces over tables of 2^(piece*i) P."""
    mask = (1 << _PIECE_BITS) - 1
    for table, w in tables:
        _add_events(events, k & mask, table, w)
        k >>= _PIECE_BITS


PARAMSET_512_A = Curve(
    name="id-tc26-gost-3410-12-512-paramSetA",
    p=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7", 16),
    a=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
          "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4", 16),
    b=int("E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265"
          "EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760", 16),
    q=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
          "27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275", 16),
    gx=3,
    gy=int("7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921"
           "DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4", 16),
    size=64,
)

CRYPTOPRO_A = Curve(
    name="id-GostR3410-2001-CryptoPro-A-ParamSet",
    p=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97", 16),
    a=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94", 16),
    b=0xA6,
    q=int("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893", 16),
    gx=1,
    gy=int("8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14", 16),
    size=32,
)

CURVES = {c.name: c for c in (PARAMSET_512_A, CRYPTOPRO_A)}
