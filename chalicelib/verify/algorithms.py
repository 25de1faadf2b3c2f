"""How the permitted signature algorithms are verified, and the key profile checked before.

RSA PKCS#1 v1.5 with SHA-256/384/512 (also `rsaEncryption` with the hash from the CMS
digestAlgorithm), ECDSA on P-256/P-384, and the Kazakh GOST algorithms (pure Python, imported
only when a GOST signature arrives). What is permitted, and which keys (RSA modulus size and
exponent, curves, GOST parameter sets), is the policy's (`verify/policy.py`): `check_key` reads a
SubjectPublicKeyInfo with `der` — no number built, no key loaded — so that a key outside the
profile costs nothing. Any other algorithm raises `UnsupportedAlgorithm` naming it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from types import ModuleType
from typing import cast

from cryptography.exceptions import InvalidSignature
from cryptography.exceptions import UnsupportedAlgorithm as _CryptoUnsupported
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from chalicelib.verify import der
from chalicelib.verify.der import DerError
from chalicelib.verify.policy import (
    EC_PUBLIC_KEY,
    NCA,
    RSA_ENCRYPTION,
    SHA256,
    SHA256_ECDSA,
    SHA256_RSA,
    SHA384,
    SHA384_ECDSA,
    SHA384_RSA,
    SHA512,
    SHA512_ECDSA,
    SHA512_RSA,
    Policy,
)

GOST_PREFIX = "1.2.398.3.10."

_SHA: dict[str, tuple[str, Callable[[], hashes.HashAlgorithm]]] = {
    SHA256: ("SHA-256", hashes.SHA256),
    SHA384: ("SHA-384", hashes.SHA384),
    SHA512: ("SHA-512", hashes.SHA512),
}
_RSA_SIGNATURES = {SHA256_RSA: SHA256, SHA384_RSA: SHA384, SHA512_RSA: SHA512}
_ECDSA_SIGNATURES = {SHA256_ECDSA: SHA256, SHA384_ECDSA: SHA384, SHA512_ECDSA: SHA512}
_EC_CURVES = {"secp256r1": "P-256", "secp384r1": "P-384"}


class UnsupportedAlgorithm(ValueError):
    """An algorithm, key size or curve that the service does not verify; the text names it."""


class MalformedKey(ValueError):
    """A public key whose encoding is broken or whose point is not on its curve."""


@dataclass(frozen=True)
class PublicKey:
    """A SubjectPublicKeyInfo with its algorithm OID; `verify` loads the key on first use."""

    spki_der: bytes
    algorithm_oid: str


def check_key(spki_der: bytes, rules: Policy = NCA) -> None:
    """Raise `UnsupportedAlgorithm` unless the key is in the policy's profile (`MalformedKey` when
    its SubjectPublicKeyInfo cannot be read). Reads sizes and OIDs only: cheap for any input."""
    try:
        data = spki_der
        start, stop = der.expect(data, 0, len(data), der.SEQUENCE, "subjectPublicKeyInfo")
        algorithm_start, algorithm_stop = der.expect(data, start, stop, der.SEQUENCE, "key algorithm")
        oid_start, oid_stop = der.expect(data, algorithm_start, algorithm_stop, der.OID, "key algorithm")
        key_oid = der.oid(data, oid_start, oid_stop)
        key_start, key_stop = der.expect(data, algorithm_stop, stop, der.BIT_STRING, "subjectPublicKey")
        if key_oid == RSA_ENCRYPTION:
            _check_rsa(data, key_start, key_stop, rules)
        elif key_oid == EC_PUBLIC_KEY:
            curve = der.oid(data, *der.expect(data, oid_stop, algorithm_stop, der.OID, "named curve"))
            if curve not in rules.ec_curves:
                raise UnsupportedAlgorithm(f"elliptic curve {curve} is not permitted")
        elif key_oid in rules.gost_parameters:
            parameters = der.expect(data, oid_stop, algorithm_stop, der.SEQUENCE, "GOST key parameters")
            parameter_set = der.oid(data, *der.expect(data, *parameters, der.OID, "GOST parameter set"))
            if parameter_set not in rules.gost_parameters[key_oid]:
                raise UnsupportedAlgorithm(f"GOST parameter set {parameter_set} is not permitted for {key_oid}")
        else:
            raise UnsupportedAlgorithm(f"public key algorithm {key_oid} is not permitted")
    except DerError as error:
        raise MalformedKey(f"public key cannot be read: {error}") from None


def _check_rsa(data: bytes, start: int, stop: int, rules: Policy) -> None:
    unused, key_start, key_stop = der.bit_string(data, start, stop)
    if unused:
        raise MalformedKey("RSA key with unused bits")
    numbers = der.children(data, *der.expect(data, key_start, key_stop, der.SEQUENCE, "RSAPublicKey"))
    if len(numbers) != 2 or numbers[0][0] != der.INTEGER or numbers[1][0] != der.INTEGER:
        raise MalformedKey("RSAPublicKey is not two integers")
    bits, _ = der.unsigned_size(data, numbers[0][1], numbers[0][2])
    low, high = rules.rsa_bits
    if not low <= bits <= high:
        raise UnsupportedAlgorithm(f"RSA key of {bits} bits is outside the permitted {low}..{high}")
    _, exponent_start, exponent_stop = numbers[1]
    too_long = exponent_stop - exponent_start > 8
    if too_long or der.integer(data, exponent_start, exponent_stop) not in rules.rsa_exponents:
        raise UnsupportedAlgorithm("RSA public exponent is not permitted")


def check_algorithms(signature_oid: str, key_oid: str, digest_oid: str | None, rules: Policy = NCA) -> None:
    """Raise `UnsupportedAlgorithm` unless the policy permits the digest, the signature algorithm,
    and that algorithm with this kind of key."""
    if digest_oid is not None and digest_oid not in rules.digests:
        raise UnsupportedAlgorithm(f"digest algorithm {digest_oid} is not permitted")
    needs = rules.signatures.get(signature_oid)
    if needs is None:
        raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} is not permitted")
    if needs != key_oid:
        raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} does not go with a {key_oid} key")


def digest(digest_oid: str, data: bytes | memoryview) -> bytes:
    if digest_oid in _SHA:
        return hashlib.new(_SHA[digest_oid][0].replace("-", "").lower(), data).digest()
    if digest_oid.startswith(GOST_PREFIX):
        return _gost().digest(digest_oid, data)
    raise UnsupportedAlgorithm(f"digest algorithm {digest_oid} is not supported")


def name(signature_oid: str, digest_oid: str | None = None) -> str:
    """A short human name for logs and stored evidence, e.g. 'RSA/SHA-256'."""
    if signature_oid in _RSA_SIGNATURES:
        return "RSA/" + _SHA[_RSA_SIGNATURES[signature_oid]][0]
    if signature_oid == RSA_ENCRYPTION and digest_oid in _SHA:
        return "RSA/" + _SHA[digest_oid][0]
    if signature_oid in _ECDSA_SIGNATURES:
        return "ECDSA/" + _SHA[_ECDSA_SIGNATURES[signature_oid]][0]
    if signature_oid == EC_PUBLIC_KEY and digest_oid in _SHA:
        return "ECDSA/" + _SHA[digest_oid][0]
    if signature_oid.startswith(GOST_PREFIX):
        return _GOST_NAMES.get(signature_oid, f"GOST {signature_oid}")
    return signature_oid


_GOST_NAMES = {
    "1.2.398.3.10.1.1.2.3.2": "GOST 34.10-2015/512",
    "1.2.398.3.10.1.1.2.2": "GOST 34.10-2015/512",
    "1.2.398.3.10.1.1.1.2": "GOST 34.310-2004",
    "1.2.398.3.10.1.1.1.1": "GOST 34.310-2004",
    "1.2.398.3.10.1.1.2.3.1": "GOST 34.10-2015/256",
}


def verify(
    key: PublicKey,
    signature_oid: str,
    message: bytes | memoryview,
    signature: bytes,
    *,
    digest_oid: str | None = None,
) -> bool:
    """True when `signature` over `message` verifies with `key` under `signature_oid`.

    `digest_oid` is the CMS digestAlgorithm: it supplies the hash for `rsaEncryption` and
    `id-ecPublicKey`, and must agree with the hash a named signature algorithm implies.
    Raises UnsupportedAlgorithm for anything outside the accepted set, MalformedKey for a key
    that cannot be read.
    """
    if signature_oid.startswith(GOST_PREFIX) or key.algorithm_oid.startswith(GOST_PREFIX):
        return _verify_gost(key, signature_oid, message, signature, digest_oid)
    hash_oid = _hash_for(signature_oid, digest_oid)
    algorithm = _SHA[hash_oid][1]()
    kind, public = _load_key(key.spki_der)
    message = cast(bytes, message)  # cryptography reads any buffer: a view of the tbs is not copied
    try:
        if signature_oid in _RSA_SIGNATURES or signature_oid == RSA_ENCRYPTION:
            if kind != "rsa":
                raise UnsupportedAlgorithm(f"RSA signature {signature_oid} with a non-RSA key")
            cast(rsa.RSAPublicKey, public).verify(signature, message, _PKCS1, algorithm)
        else:
            if kind != "ec":
                raise UnsupportedAlgorithm(f"ECDSA signature {signature_oid} with a non-EC key")
            cast(ec.EllipticCurvePublicKey, public).verify(signature, message, ec.ECDSA(algorithm))
    except InvalidSignature:
        return False
    return True


_PKCS1 = padding.PKCS1v15()


def _hash_for(signature_oid: str, digest_oid: str | None) -> str:
    implied = _RSA_SIGNATURES.get(signature_oid) or _ECDSA_SIGNATURES.get(signature_oid)
    if implied is not None:
        if digest_oid is not None and digest_oid != implied:
            raise UnsupportedAlgorithm(
                f"signature algorithm {signature_oid} does not match digest {digest_oid}"
            )
        return implied
    if signature_oid in (RSA_ENCRYPTION, EC_PUBLIC_KEY) and digest_oid in _SHA:
        return digest_oid
    raise UnsupportedAlgorithm(f"signature algorithm {signature_oid} is not supported")


@lru_cache(maxsize=512)  # issuer keys repeat on every vote; parse each once
def _load_key(spki_der: bytes) -> tuple[str, rsa.RSAPublicKey | ec.EllipticCurvePublicKey]:
    """("rsa" or "ec", the key): its kind decided once, so that a verification compares a name."""
    try:
        public = serialization.load_der_public_key(spki_der)
    except _CryptoUnsupported as error:
        raise UnsupportedAlgorithm(f"public key algorithm is not supported: {error}") from None
    except ValueError as error:
        raise MalformedKey(f"public key cannot be read: {error}") from None
    if isinstance(public, rsa.RSAPublicKey):
        return "rsa", public
    if isinstance(public, ec.EllipticCurvePublicKey):
        if public.curve.name not in _EC_CURVES:
            raise UnsupportedAlgorithm(f"elliptic curve {public.curve.name} is not supported")
        return "ec", public
    raise UnsupportedAlgorithm(f"public key type {type(public).__name__} is not supported")


def _verify_gost(
    key: PublicKey, signature_oid: str, message: bytes | memoryview, signature: bytes, digest_oid: str | None
) -> bool:
    gost = _gost()
    try:
        return gost.verify(key.spki_der, signature_oid, message, signature, digest_oid=digest_oid)
    except gost.UnsupportedGostAlgorithm as error:
        raise UnsupportedAlgorithm(str(error)) from None
    except gost.GostError as error:
        raise MalformedKey(str(error)) from None


def _gost() -> ModuleType:
    # Imported on first use: most voters sign with RSA, and cold starts should not pay for GOST.
    from chalicelib.verify import gost

    return gost
