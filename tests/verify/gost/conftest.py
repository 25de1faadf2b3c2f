"""Helpers for the GOST tests: a tiny DER writer, keys and signatures made by gostcrypto (an
independent implementation, a dev dependency), and the location of the real NCA files."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import pytest
from gostcrypto import gosthash, gostsignature

from chalicelib.verify.gost import gost94

KEY_2015 = "1.2.398.3.10.1.1.2.2"
PARAMS_2015 = "1.2.398.3.10.1.1.2.2.1"
SIG_2015 = "1.2.398.3.10.1.1.2.3.2"
SIG_2015_256 = "1.2.398.3.10.1.1.2.3.1"
DIGEST_2015 = "1.2.398.3.10.1.3.3"
DIGEST_2015_256 = "1.2.398.3.10.1.3.2"
KEY_2004 = "1.2.398.3.10.1.1.1.1"
PARAMS_2004 = "1.2.398.3.10.1.1.1.1.1"
DIGEST_PARAMS_2004 = "1.2.398.3.10.1.3.1.1.0"
SIG_2004 = "1.2.398.3.10.1.1.1.2"
DIGEST_2004 = "1.2.398.3.10.1.3.1"
RSA_KEY = "1.2.840.113549.1.1.1"
RSA_SHA256 = "1.2.840.113549.1.1.11"


def pki_dir() -> Path:
    from tests.conftest import nca_pki_dir

    return nca_pki_dir()


@pytest.fixture(scope="session")
def pki() -> Path:
    """The real NCA RK test files; the tests that need them skip when they are absent."""
    folder = pki_dir()
    if not folder.is_dir():
        pytest.skip(f"NCA test PKI folder not found at {folder} "
                    "(set VOTING_TEST_PKI_DIR to the nca-test-pki folder)")
    return folder


# -- DER writing ---------------------------------------------------------------------------

def der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return bytes([tag]) + length + content


def der_oid(oid: str) -> bytes:
    arcs = [int(a) for a in oid.split(".")]
    body = [40 * arcs[0] + arcs[1], *arcs[2:]]
    out = bytearray()
    for arc in body:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        out += bytes(reversed(chunk))
    return der(0x06, bytes(out))


def seq(*items: bytes) -> bytes:
    return der(0x30, b"".join(items))


def spki(key_oid: str, params: list[str] | None, key_bytes: bytes, *,
         unused_bits: int = 0) -> bytes:
    """SubjectPublicKeyInfo { { key_oid, SEQUENCE { params... } }, BIT STRING { OCTET STRING } }"""
    alg = [der_oid(key_oid)]
    if params is not None:
        alg.append(seq(*(der_oid(p) for p in params)))
    return seq(seq(*alg), der(0x03, bytes([unused_bits]) + der(0x04, key_bytes)))


# -- keys and signatures from gostcrypto ---------------------------------------------------

_CURVES = {
    "2015": ("id-tc26-gost-3410-12-512-paramSetA", gostsignature.MODE_512, 64),
    # RFC 7836: paramSetB is the same curve as id-GostR3410-2001-CryptoPro-A-ParamSet.
    "2004": ("id-tc26-gost-3410-2012-256-paramSetB", gostsignature.MODE_256, 32),
}


@dataclass
class Signer:
    """A key pair made and used by gostcrypto, presented in the NCA's byte orders."""

    family: str
    private: bytes
    public_x: int
    public_y: int

    @property
    def size(self) -> int:
        return _CURVES[self.family][2]

    @property
    def signature_oid(self) -> str:
        return SIG_2015 if self.family == "2015" else SIG_2004

    def key_bytes(self) -> bytes:
        """X || Y, each little-endian, as the public key OCTET STRING holds them."""
        return (self.public_x.to_bytes(self.size, "little")
                + self.public_y.to_bytes(self.size, "little"))

    def spki(self) -> bytes:
        if self.family == "2015":
            return spki(KEY_2015, [PARAMS_2015, DIGEST_2015], self.key_bytes())
        return spki(KEY_2004, [PARAMS_2004, DIGEST_PARAMS_2004], self.key_bytes())

    def digest(self, message: bytes) -> bytes:
        """The hash as the signer computes it: gostcrypto's Streebog-512, or GOST 34.311-95
        (which gostcrypto lacks; ours is checked on its own against the RFC 5831 vectors)."""
        if self.family == "2015":
            return bytes(gosthash.new("streebog512", data=message).digest())
        return gost94.gost94(message)

    def sign_raw(self, digest: bytes, k: bytes | None = None) -> tuple[int, int]:
        """(r, s) from gostcrypto for a digest read as a little-endian integer (gostcrypto
        reads it big-endian, hence the reversal).  Signing is slow in gostcrypto, so a
        signature with a fixed nonce is made once per session."""
        key = (digest, k)
        if k is not None and key in _SIGNATURES.get(self.private, {}):
            return _SIGNATURES[self.private][key]
        if k is None:
            k = _nonce(self.private, digest, self.size)
            cached = _SIGNATURES.setdefault(self.private, {}).get((digest, k))
            if cached:
                return cached
        name, mode, size = _CURVES[self.family]
        engine = gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[name])
        out = engine.sign(bytearray(self.private), bytearray(digest[::-1]), bytearray(k))
        result = int.from_bytes(out[:size], "big"), int.from_bytes(out[size:], "big")
        _SIGNATURES.setdefault(self.private, {})[(digest, k)] = result
        return result

    def encode(self, r: int, s: int) -> bytes:
        """r || s, each little-endian (= RFC 4491's s || r big-endian, reversed)."""
        return r.to_bytes(self.size, "little") + s.to_bytes(self.size, "little")

    def sign(self, message: bytes) -> bytes:
        return self.encode(*self.sign_raw(self.digest(message)))


_SIGNATURES: dict[bytes, dict] = {}


def _nonce(private: bytes, digest: bytes, size: int) -> bytes:
    """A per-(key, digest) nonce below q (top bits cleared), as a test signer may use."""
    seed = int.from_bytes(private, "big") ^ int.from_bytes(digest, "big")
    nonce = bytearray(random.Random(seed).randbytes(size))
    nonce[0] &= 0x3F
    nonce[-1] |= 1
    return bytes(nonce)


def make_signer(family: str, seed: int) -> Signer:
    name, mode, size = _CURVES[family]
    engine = gostsignature.new(mode, gostsignature.CURVES_R_1323565_1_024_2019[name])
    rng = random.Random(seed)
    private = bytearray(rng.randbytes(size))
    private[0] &= 0x3F  # below q
    public = engine.public_key_generate(bytearray(private))
    return Signer(family, bytes(private), int.from_bytes(public[:size], "big"),
                  int.from_bytes(public[size:], "big"))


@pytest.fixture(scope="session")
def signer2015() -> Signer:
    return make_signer("2015", 2015)


@pytest.fixture(scope="session")
def signer2004() -> Signer:
    return make_signer("2004", 2004)


@pytest.fixture(params=["2015", "2004"], scope="session")
def signer(request: pytest.FixtureRequest) -> Signer:
    return make_signer(request.param, 7)
