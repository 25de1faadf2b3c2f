"""Sealed evidence: a vote's CMS encrypted to the commission's public key, bound to its vote.

The CMS names the signer (IIN, full name, certificate serial), so it is never stored in the
clear. The vote path seals it with the public key alone — no KMS call, no secret:

    data key  = 32 fresh random bytes per vote (AES-256-GCM)
    wrapped   = RSA-OAEP(SHA-256, MGF1-SHA-256, no label) of the data key to the commission's key:
                exactly KMS's RSAES_OAEP_SHA_256, so a KMS asymmetric key's Decrypt unwraps it
    sealed    = version 1 ‖ key id (16) ‖ len(wrapped) (2) ‖ wrapped ‖ nonce (12) ‖ AES-GCM(...)
    key id    = SHA-256 of the public key's SubjectPublicKeyInfo DER, first 16 bytes
    plaintext = detached? (1) ‖ len(cms) (4) ‖ cms ‖ content of a detached CMS
    AAD       = the header (version, key id, wrapped key) ‖ the binding

The binding is (contest, voter key, receipt, nominee, cast_at), length-prefixed: a sealed CMS
moved to another record, or a record whose nominee or time was changed, no longer opens. cast_at
is bound too because the audit's "cast before closing" check reads it.

Opening needs the private key, which only the commission holds: `open_sealed` takes it as a port
(`ports.CommissionKey`: a key file on the commission's machine, or KMS in AWS). Pure.
"""

from __future__ import annotations

import hashlib
import os
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from chalicelib.voting.ports import CommissionKey

VERSION = 1
MIN_KEY_BITS = 3072  # NIST SP 800-57: 128-bit strength for evidence kept for years
KEY_ID_BYTES = 16
NONCE_BYTES = 12
DATA_KEY_BYTES = 32
_HEADER = struct.Struct(">B16sH")  # version, key id, length of the wrapped data key
_BINDING_LABEL = b"voting/v1/sealed-evidence"


class SealError(ValueError):
    """Sealed evidence that cannot be opened; the text says why, never what it holds."""


class NotSealed(SealError):
    """Bytes that are not sealed evidence of a known version."""


class OtherKey(SealError):
    """Sealed to another commission key than the one given."""

    def __init__(self, sealed_to: bytes, given: bytes) -> None:
        super().__init__(f"sealed to commission key {sealed_to.hex()}, not to the key given ({given.hex()})")
        self.sealed_to, self.given = sealed_to, given


class CannotUnwrap(SealError):
    """The commission's key does not unwrap the data key (another key pair, or altered bytes)."""


class NotThisVote(SealError):
    """The sealed evidence does not belong to this record, or its bytes were altered."""


class KeyUnavailable(RuntimeError):
    """The commission's key cannot be used at all (access refused, KMS unreachable): nothing can be
    opened, so the audit stops rather than report every record."""


def oaep() -> padding.OAEP:
    """KMS's RSAES_OAEP_SHA_256: SHA-256 for the hash and MGF1, empty label."""
    return padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def key_id_of(public_key: rsa.RSAPublicKey) -> bytes:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).digest()[:KEY_ID_BYTES]


@dataclass(frozen=True)
class Binding:
    """What a sealed CMS belongs to: the record it was sealed for."""

    contest: str
    voter: str
    receipt: str
    nominee: str
    cast_at: str

    def encoded(self) -> bytes:
        out = bytearray(_BINDING_LABEL)
        for part in (self.contest, self.voter, self.receipt, self.nominee, self.cast_at):
            data = part.encode("utf-8")
            out += len(data).to_bytes(4, "big") + data
        return bytes(out)


def public_key_from_pem(pem: str | bytes) -> rsa.RSAPublicKey:
    """The commission's public key from its PEM (SubjectPublicKeyInfo); ValueError says what is wrong."""
    data = pem.encode() if isinstance(pem, str) else pem
    try:
        key = serialization.load_pem_public_key(data.strip())
    except (ValueError, TypeError):
        raise ValueError("not a PEM public key (-----BEGIN PUBLIC KEY----- ...)") from None
    return commission_public_key(key)


def commission_public_key(key: object) -> rsa.RSAPublicKey:
    """`key` if it can be the commission's key: RSA (KMS decrypts RSA-OAEP), at least 3072 bits."""
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("not an RSA public key (the commission's key is RSA, as KMS decrypts RSA-OAEP)")
    if key.key_size < MIN_KEY_BITS:
        raise ValueError(f"an RSA key of {key.key_size} bits; at least {MIN_KEY_BITS} are required")
    return key


class Sealer:
    """Seals evidence to the commission's public key: what the vote path holds."""

    def __init__(self, public_key: rsa.RSAPublicKey) -> None:
        self._public_key = public_key
        self.key_id = key_id_of(public_key)

    def seal(self, binding: Binding, cms: bytes, content: bytes | None = None) -> bytes:
        data_key = AESGCM.generate_key(bit_length=8 * DATA_KEY_BYTES)
        wrapped = self._public_key.encrypt(data_key, oaep())
        header = _HEADER.pack(VERSION, self.key_id, len(wrapped)) + wrapped
        nonce = os.urandom(NONCE_BYTES)
        detached = content is not None
        plaintext = bytes([detached]) + len(cms).to_bytes(4, "big") + cms + (content or b"")
        return header + nonce + AESGCM(data_key).encrypt(nonce, plaintext, header + binding.encoded())


@dataclass(frozen=True)
class SealedParts:
    key_id: bytes
    wrapped: bytes
    header: bytes
    nonce: bytes
    ciphertext: bytes


def sealed_parts(sealed: bytes) -> SealedParts:
    if len(sealed) < _HEADER.size:
        raise NotSealed("too short to be sealed evidence")
    version, key_id, wrapped_length = _HEADER.unpack_from(sealed)
    if version != VERSION:
        raise NotSealed(f"unknown version {version} of sealed evidence")
    start = _HEADER.size + wrapped_length
    if len(sealed) < start + NONCE_BYTES + 16:
        raise NotSealed("sealed evidence cut short")
    return SealedParts(key_id, sealed[_HEADER.size:start], sealed[:start], sealed[start:start + NONCE_BYTES],
                       sealed[start + NONCE_BYTES:])


def open_sealed(sealed: bytes, binding: Binding, key: CommissionKey) -> tuple[bytes, bytes | None]:
    """(cms, content of a detached CMS) of sealed evidence that belongs to `binding`."""
    parts = sealed_parts(sealed)
    if parts.key_id != key.key_id:
        raise OtherKey(parts.key_id, key.key_id)
    data_key = key.unwrap(parts.wrapped)
    if len(data_key) != DATA_KEY_BYTES:
        raise CannotUnwrap("the unwrapped data key has the wrong length")
    try:
        plaintext = AESGCM(data_key).decrypt(parts.nonce, parts.ciphertext, parts.header + binding.encoded())
    except InvalidTag:
        raise NotThisVote("the sealed evidence does not belong to this vote (contest, voter, receipt, nominee "
                          "or cast_at differ) or was altered") from None
    return _unpacked(plaintext)


def _unpacked(plaintext: bytes) -> tuple[bytes, bytes | None]:
    # Authenticated, so written by a sealer; still checked, as a bug must not read past the end.
    if len(plaintext) < 5 or plaintext[0] not in (0, 1):
        raise NotSealed("sealed plaintext has no CMS")
    length = int.from_bytes(plaintext[1:5], "big")
    if 5 + length > len(plaintext):
        raise NotSealed("sealed plaintext cut short")
    cms, rest = plaintext[5:5 + length], plaintext[5 + length:]
    if plaintext[0] == 0 and rest:
        raise NotSealed("sealed plaintext has bytes after the CMS")
    return cms, rest if plaintext[0] == 1 else None
