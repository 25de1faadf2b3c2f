"""GOST 34.10 signature verification for the Kazakh NCA's algorithms, and SPKI parsing.

Algorithms (Kazakh OIDs under 1.2.398.3.10, checked against the NCA's own certificates, CRLs
and Kalkan-made CMS):

=====================  =========================  ===========================  ================
family                 key OID (SPKI algorithm)    signature OID                hash (digest OID)
=====================  =========================  ===========================  ================
GOST 34.10-2015/512    1.2.398.3.10.1.1.2.2        1.2.398.3.10.1.1.2.3.2       Streebog-512
                       params 1.2.398.3.10.1.1.2.2.1 = paramSetA (RFC 7836)     1.2.398.3.10.1.3.3
GOST 34.310-2004       1.2.398.3.10.1.1.1.1        1.2.398.3.10.1.1.1.2         GOST 34.311-95
                       params 1.2.398.3.10.1.1.1.1.1 = CryptoPro-A (RFC 4357)   1.2.398.3.10.1.3.1
=====================  =========================  ===========================  ================

GOST 34.10-2015/256 (signature OID 1.2.398.3.10.1.1.2.3.1) is recognised but not verified: no
NCA file shows its key parameters, so it raises UnsupportedGostAlgorithm rather than guessing.

Byte orders (RFC 4491 style, as the NCA uses them): the public key is an OCTET STRING holding
X || Y, each little-endian; the signature value is r || s, each little-endian; the digest is
read as a little-endian integer e mod q (0 -> 1).  Verification: v = e^-1, z1 = s*v,
z2 = -r*v (mod q), C = z1*G + z2*Q, accept iff C.x mod q == r.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from chalicelib.verify import der
from chalicelib.verify.der import DerError

from .curves import CRYPTOPRO_A, PARAMSET_512_A, Curve
from .gost94 import gost94
from .streebog import streebog256, streebog512

__all__ = [
    "DIGEST_GOST34311",
    "DIGEST_STREEBOG_256",
    "DIGEST_STREEBOG_512",
    "GOST_DIGEST_OIDS",
    "GOST_KEY_OIDS",
    "GOST_SIGNATURE_OIDS",
    "KEY_GOST2004",
    "KEY_GOST2015_512",
    "SIGNATURE_GOST2004",
    "SIGNATURE_GOST2015_256",
    "SIGNATURE_GOST2015_512",
    "GostError",
    "GostPublicKey",
    "UnsupportedGostAlgorithm",
    "digest",
    "digest_scalar",
    "is_gost_oid",
    "parse_spki",
    "verify",
    "verify_with_key",
]



class GostError(ValueError):
    """Malformed GOST input (bad lengths, bad encoding, point off curve...)."""


class UnsupportedGostAlgorithm(GostError):
    """A GOST variant we do not verify (e.g. GOST-2015/256, unknown paramset).
    Message names the OID."""


KEY_GOST2015_512 = "1.2.398.3.10.1.1.2.2"
KEY_GOST2004 = "1.2.398.3.10.1.1.1.1"
SIGNATURE_GOST2015_512 = "1.2.398.3.10.1.1.2.3.2"
SIGNATURE_GOST2015_256 = "1.2.398.3.10.1.1.2.3.1"
SIGNATURE_GOST2004 = "1.2.398.3.10.1.1.1.2"
DIGEST_STREEBOG_512 = "1.2.398.3.10.1.3.3"
DIGEST_STREEBOG_256 = "1.2.398.3.10.1.3.2"
DIGEST_GOST34311 = "1.2.398.3.10.1.3.1"

# Parameter OIDs inside the SPKI's AlgorithmIdentifier, as the NCA's certificates carry them.
_PARAMS_GOST2015_512_A = "1.2.398.3.10.1.1.2.2.1"
_PARAMS_GOST2004_A = "1.2.398.3.10.1.1.1.1.1"
_DIGEST_PARAMS_GOST34311 = "1.2.398.3.10.1.3.1.1.0"

GOST_KEY_OIDS = frozenset({KEY_GOST2015_512, KEY_GOST2004})
GOST_SIGNATURE_OIDS = frozenset({SIGNATURE_GOST2015_512, SIGNATURE_GOST2004,
                                 SIGNATURE_GOST2015_256})
GOST_DIGEST_OIDS = frozenset({DIGEST_STREEBOG_512, DIGEST_GOST34311, DIGEST_STREEBOG_256})

_GOST_PREFIX = "1.2.398.3.10."

_DIGESTS = {
    DIGEST_STREEBOG_512: streebog512,
    DIGEST_STREEBOG_256: streebog256,
    DIGEST_GOST34311: gost94,
}


class _Family:
    """One signature algorithm family: its key, signature and digest OIDs, the SPKI curve
    parameter OIDs it accepts and the digest parameter OIDs allowed after them."""

    __slots__ = ("curves", "digest_oid", "digest_params", "key_oid", "signature_oid")

    def __init__(self, key_oid: str, signature_oid: str, digest_oid: str, curves: dict,
                 digest_params: frozenset) -> None:
        self.key_oid = key_oid
        self.signature_oid = signature_oid
        self.digest_oid = digest_oid
        self.curves = curves
        self.digest_params = digest_params


_FAMILIES = {
    KEY_GOST2015_512: _Family(KEY_GOST2015_512, SIGNATURE_GOST2015_512, DIGEST_STREEBOG_512,
                              {_PARAMS_GOST2015_512_A: PARAMSET_512_A},
                              frozenset({DIGEST_STREEBOG_512})),
    KEY_GOST2004: _Family(KEY_GOST2004, SIGNATURE_GOST2004, DIGEST_GOST34311,
                          {_PARAMS_GOST2004_A: CRYPTOPRO_A},
                          frozenset({_DIGEST_PARAMS_GOST34311})),
}
_FAMILY_BY_SIGNATURE = {f.signature_oid: f for f in _FAMILIES.values()}


def is_gost_oid(oid: str) -> bool:
    """True for any Kazakh GOST key, signature or digest OID (under 1.2.398.3.10)."""
    return isinstance(oid, str) and oid.startswith(_GOST_PREFIX)


def digest(digest_oid: str, data: bytes | memoryview) -> bytes:
    """Hash data with the GOST hash named by its Kazakh digest OID."""
    fn = _DIGESTS.get(digest_oid)
    if fn is None:
        raise UnsupportedGostAlgorithm(f"unsupported GOST digest algorithm {digest_oid}")
    return fn(data)


# -- DER: the verifier's own reader (`chalicelib.verify.der`), its errors as GostError --------

_SEQUENCE, _OID, _BIT_STRING, _OCTET_STRING = der.SEQUENCE, der.OID, der.BIT_STRING, der.OCTET_STRING


def _tlv(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    try:
        return der.element(data, pos, end)
    except DerError as error:
        raise GostError(f"malformed DER: {error}") from None


def _expect(data: bytes, pos: int, end: int, tag: int, what: str) -> tuple[int, int]:
    got, start, stop = _tlv(data, pos, end)
    if got != tag:
        raise GostError(f"{what}: expected DER tag 0x{tag:02x}, got 0x{got:02x}")
    return start, stop


def _oid(data: bytes, start: int, stop: int) -> str:
    try:
        return der.oid(data, start, stop)
    except DerError as error:
        raise GostError(f"malformed DER: {error}") from None


# -- public keys ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class GostPublicKey:
    """A parsed and validated GOST public key (immutable); equal keys are the same point."""

    key_oid: str
    curve: Curve = field(compare=False, repr=False)
    x: int = field(repr=False)
    y: int = field(repr=False)

    @property
    def family(self) -> _Family:
        return _FAMILIES[self.key_oid]


def parse_spki(spki_der: bytes) -> GostPublicKey:
    """Parse and validate a DER SubjectPublicKeyInfo holding a supported GOST key.

    Raises GostError for malformed DER, a wrong key length or a point that is not on the curve
    (or is the point at infinity), and UnsupportedGostAlgorithm for a key algorithm or a
    parameter set we do not verify."""
    return _parse_spki(bytes(spki_der))


@functools.lru_cache(maxsize=64)  # issuer keys recur on every vote: parse and validate each once
def _parse_spki(data: bytes) -> GostPublicKey:
    start, end = _expect(data, 0, len(data), _SEQUENCE, "SubjectPublicKeyInfo")
    if end != len(data):
        raise GostError("trailing bytes after SubjectPublicKeyInfo")
    alg_start, alg_end = _expect(data, start, end, _SEQUENCE, "AlgorithmIdentifier")
    oid_start, oid_end = _expect(data, alg_start, alg_end, _OID, "key algorithm")
    key_oid = _oid(data, oid_start, oid_end)
    family = _FAMILIES.get(key_oid)
    if family is None:
        raise UnsupportedGostAlgorithm(f"unsupported public key algorithm {key_oid}")

    # Parameters: SEQUENCE { curve OID, [digest parameter OID] }.
    if oid_end == alg_end:
        raise UnsupportedGostAlgorithm(f"{key_oid} key without parameters")
    tag, p_start, p_end = _tlv(data, oid_end, alg_end)
    if p_end != alg_end:
        raise GostError("trailing bytes in AlgorithmIdentifier")
    if tag != _SEQUENCE:
        raise UnsupportedGostAlgorithm(
            f"{key_oid} key parameters are not a parameter-set sequence")
    oids = []
    pos = p_start
    while pos < p_end:
        o_start, o_end = _expect(data, pos, p_end, _OID, "key parameters")
        oids.append(_oid(data, o_start, o_end))
        pos = o_end
    if not oids:
        raise UnsupportedGostAlgorithm(f"{key_oid} key with empty parameters")
    curve = family.curves.get(oids[0])
    if curve is None:
        raise UnsupportedGostAlgorithm(
            f"unsupported parameter set {oids[0]} for key algorithm {key_oid}")
    if len(oids) > 2:
        raise UnsupportedGostAlgorithm(
            f"unsupported extra key parameters {', '.join(oids[2:])} for {key_oid}")
    if len(oids) == 2 and oids[1] not in family.digest_params:
        raise UnsupportedGostAlgorithm(
            f"unsupported digest parameters {oids[1]} for key algorithm {key_oid}")

    # subjectPublicKey: BIT STRING (no unused bits) wrapping an OCTET STRING of X || Y.
    b_start, b_end = _expect(data, alg_end, end, _BIT_STRING, "subjectPublicKey")
    if b_end != end:
        raise GostError("trailing bytes after subjectPublicKey")
    if b_start == b_end or data[b_start] != 0:
        raise GostError("subjectPublicKey BIT STRING with unused bits")
    k_start, k_end = _expect(data, b_start + 1, b_end, _OCTET_STRING, "public key")
    if k_end != b_end:
        raise GostError("trailing bytes after the public key OCTET STRING")
    size = curve.size
    if k_end - k_start != 2 * size:
        raise GostError(f"public key is {k_end - k_start} bytes, expected {2 * size} "
                        f"for {curve.name}")
    raw = data[k_start:k_end]
    if not any(raw):
        raise GostError("public key is the point at infinity (all zero)")
    x = int.from_bytes(raw[:size], "little")
    y = int.from_bytes(raw[size:], "little")
    if not curve.is_on_curve(x, y):
        raise GostError(f"public key point is not on {curve.name}")
    return GostPublicKey(key_oid, curve, x, y)


# -- verification ---------------------------------------------------------------------------

def _family_for_signature(signature_algorithm_oid: str, key: GostPublicKey) -> _Family:
    family = key.family
    if signature_algorithm_oid in (family.signature_oid, family.key_oid):
        # Kalkan's CMS names the signature OID; a CMS naming the key's own algorithm OID
        # (the RFC 4490 habit) means the same thing.
        return family
    if signature_algorithm_oid == SIGNATURE_GOST2015_256:
        raise UnsupportedGostAlgorithm(
            f"GOST 34.10-2015/256 signatures ({SIGNATURE_GOST2015_256}) are not supported")
    if signature_algorithm_oid in _FAMILY_BY_SIGNATURE or signature_algorithm_oid in _FAMILIES:
        raise UnsupportedGostAlgorithm(
            f"signature algorithm {signature_algorithm_oid} does not match the "
            f"{family.key_oid} public key")
    raise UnsupportedGostAlgorithm(f"unsupported signature algorithm {signature_algorithm_oid}")


def verify(spki_der: bytes, signature_algorithm_oid: str, message: bytes, signature: bytes,
           *, digest_oid: str | None = None) -> bool:
    """Verify a Kazakh GOST signature over message (which this function hashes).

    signature_algorithm_oid is the signature OID (certificate, CRL or Kalkan CMS
    signatureAlgorithm); the key's own algorithm OID is accepted as a synonym (the RFC 4490
    CMS habit).  digest_oid, when given (a CMS digestAlgorithm), must be the key family's hash.

    Returns False for a signature that does not verify (wrong length, r or s out of [1, q-1],
    or failing the equation).  Raises GostError for a malformed public key and
    UnsupportedGostAlgorithm for unknown or unsupported algorithms, parameter sets, a
    signature OID of another family than the key's, or a digest_oid that is not the key's
    hash.  Public keys seen repeatedly (CA keys) get cached precomputed tables, which only
    changes the speed."""
    if signature_algorithm_oid == SIGNATURE_GOST2015_256:
        raise UnsupportedGostAlgorithm(
            f"GOST 34.10-2015/256 signatures ({SIGNATURE_GOST2015_256}) are not supported")
    return verify_with_key(parse_spki(spki_der), signature_algorithm_oid, message, signature,
                           digest_oid=digest_oid)


def verify_with_key(key: GostPublicKey, signature_algorithm_oid: str, message: bytes,
                    signature: bytes, *, digest_oid: str | None = None,
                    key_cache: bool = True) -> bool:
    """verify() for an already parsed key; key_cache=False never uses nor fills the per-key
    table cache (every call then pays the full cost of an unknown key)."""
    family = _family_for_signature(signature_algorithm_oid, key)
    if digest_oid is not None and digest_oid != family.digest_oid:
        raise UnsupportedGostAlgorithm(
            f"digest algorithm {digest_oid} does not belong to {family.signature_oid}; "
            f"expected {family.digest_oid}")
    signature = bytes(signature)
    curve = key.curve
    size = curve.size
    if len(signature) != 2 * size:
        return False
    r = int.from_bytes(signature[:size], "little")
    s = int.from_bytes(signature[size:], "little")
    q = curve.q
    if not (0 < r < q and 0 < s < q):
        return False
    e = digest_scalar(_DIGESTS[family.digest_oid](message), curve)  # a CRL's tbs is hashed in place
    return curve.verify_digest(key.x, key.y, e, r, s, cache_key=key_cache)


def digest_scalar(digest_bytes: bytes, curve: Curve) -> int:
    """The integer e of GOST 34.10 for a digest: read little-endian, reduced mod q, 0 -> 1."""
    return int.from_bytes(digest_bytes, "little") % curve.q or 1
