"""GOST keys from the NCA's PKCS#12 files, a GOST 34.10 signer and Kalkan-shaped CMS.

Development and test tooling only: nothing in chalicelib imports this module, and the signer
is not hardened (it is not constant-time).  It exists so that tests can cast votes with the
real NCA test keys, which neither `cryptography` nor OpenSSL can open.

The NCA's `.p12` files (checked on every GOST file of ../shared/nca-test-pki):

* PFX v3, authenticated safe of `data`, MAC HMAC-SHA1 with a PKCS#12-derived key (ID 3);
* the key in a pkcs8ShroudedKeyBag, pbeWithSHAAnd3-KeyTripleDES-CBC (ID 1 key, ID 2 IV);
* the certificates in an `encryptedData` SafeContents, pbeWithSHAAnd40BitRC2-CBC;
* every key derivation is RFC 7292 Appendix B with SHA-1, the password as a BMPString with a
  trailing zero.

The private key, a PKCS#8 PrivateKeyInfo with the GOST key algorithm and its parameters, holds
in its privateKey OCTET STRING (proved on every file by d*G == the certificate's key):

* GOST 34.10-2015/512: an OCTET STRING of 64 bytes, d little-endian (like the public key);
* GOST 34.310-2004: an INTEGER, d as its ordinary (big-endian, two's complement) DER value.

`read_private_key` applies that rule and raises `KeyMismatch` if the key it reads does not
give the certificate's public point.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from asn1crypto import algos, cms, core, pkcs12
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from chalicelib.verify.certificate import Certificate
from chalicelib.verify.gost import digest as gost_digest
from chalicelib.verify.gost.curves import CRYPTOPRO_A, PARAMSET_512_A, Curve, _add_events
from chalicelib.verify.gost.signature import (
    DIGEST_GOST34311,
    DIGEST_STREEBOG_512,
    KEY_GOST2004,
    KEY_GOST2015_512,
    SIGNATURE_GOST2004,
    SIGNATURE_GOST2015_512,
    digest_scalar,
    parse_spki,
)
from devtools import devpki
from devtools.devpki import CrlSigner, Issued, der_element

__all__ = [
    "GostCa",
    "GostKeyError",
    "GostKeyFile",
    "GostPrivateKey",
    "KeyMismatch",
    "WrongPassword",
    "issue_gost_ca",
    "load_pkcs12",
    "multiply",
    "pkcs12_kdf",
    "rc2_cbc_decrypt",
    "read_private_key",
    "sign_cms_gost",
]


class GostKeyError(ValueError):
    """A PKCS#12 file or private key this module cannot read."""


class WrongPassword(GostKeyError):
    """The PFX MAC does not verify with the password given."""


class KeyMismatch(GostKeyError):
    """The private key read does not give the certificate's public key (d*G != Q)."""


# -- PKCS#12 key derivation (RFC 7292, Appendix B.2) ----------------------------------------

KDF_KEY, KDF_IV, KDF_MAC = 1, 2, 3
_SHA1_U, _SHA1_V = 20, 64  # SHA-1 output and block sizes in bytes


def bmp_password(password: str) -> bytes:
    """The password as PKCS#12 wants it: BMPString (UTF-16BE) with a trailing zero character."""
    return (password + "\0").encode("utf-16-be")


def _stretch(data: bytes, block: int) -> bytes:
    """data repeated to the smallest multiple of block bytes at least as long (empty stays empty)."""
    if not data:
        return b""
    size = block * -(-len(data) // block)
    return (data * (size // len(data) + 1))[:size]


def pkcs12_kdf(password: bytes, salt: bytes, iterations: int, purpose: int, size: int) -> bytes:
    """size bytes of key material for purpose (1 key, 2 IV, 3 MAC key), SHA-1, as RFC 7292 B.2.

    password is the BMPString form (see bmp_password)."""
    v, u = _SHA1_V, _SHA1_U
    diversifier = bytes([purpose]) * v
    material = bytearray(_stretch(salt, v) + _stretch(password, v))
    out = b""
    for _ in range(-(-size // u)):
        a = diversifier + bytes(material)
        for _ in range(iterations):
            a = hashlib.sha1(a).digest()  # noqa: S324 -- RFC 7292's KDF is SHA-1
        out += a
        b = int.from_bytes(_stretch(a, v)[:v], "big") + 1
        for start in range(0, len(material), v):
            value = (int.from_bytes(material[start:start + v], "big") + b) % (1 << (8 * v))
            material[start:start + v] = value.to_bytes(v, "big")
    return out[:size]


# -- RC2 (RFC 2268), decryption only, for the 40-bit certificate bags ------------------------

_PITABLE = bytes.fromhex(
    "d978f9c419ddb5ed28e9fd794aa0d89dc67e37832b76538e624c6488448bfba2"
    "179a59f587b34f1361456d8d09817d32bd8f40eb86b77b0bf09521225c6b4e82"
    "54d66593ce60b21c7356c014a78cf1dc1275ca1f3bbee4d1423dd430a33cb626"
    "6fbf0eda4669075727f21d9bbc944303f811c7f690ef3ee706c3d52fc8661ed7"
    "08e8eade8052eef784aa72ac354d6a2a961ad2715a1549744b9fd05e0418a4ec"
    "c2e0416e0f51cbcc2491af50a1f47039997c3a8523b8b47afc02365b25559731"
    "2d5dfa98e38a92ae05df2910676cbac9d300e6cfe19ea82c6316013f58e289a9"
    "0d38341bab33ffb0bb480c5fb9b1cd2ec5f3db47e5a59c770aa62068fe7fc1ad"
)
_MASK16 = 0xFFFF


def _rc2_expand(key: bytes, effective_bits: int) -> list[int]:
    """The 64 16-bit round keys K[0..63] (RFC 2268 section 2)."""
    if not 1 <= len(key) <= 128 or not 1 <= effective_bits <= 1024:
        raise GostKeyError("bad RC2 key or effective key length")
    t = len(key)
    t8 = (effective_bits + 7) // 8
    tm = 0xFF >> (8 * t8 - effective_bits)
    buffer = bytearray(key) + bytearray(128 - t)
    for i in range(t, 128):
        buffer[i] = _PITABLE[(buffer[i - 1] + buffer[i - t]) & 0xFF]
    buffer[128 - t8] = _PITABLE[buffer[128 - t8] & tm]
    for i in range(127 - t8, -1, -1):
        buffer[i] = _PITABLE[buffer[i + 1] ^ buffer[i + t8]]
    return [buffer[2 * i] | buffer[2 * i + 1] << 8 for i in range(64)]


def _rc2_decrypt_block(k: list[int], block: bytes) -> bytes:
    r = [int.from_bytes(block[2 * i:2 * i + 2], "little") for i in range(4)]
    shifts = (1, 2, 3, 5)
    j = 63

    def unmix() -> None:
        nonlocal j
        for i in (3, 2, 1, 0):
            s = shifts[i]
            x = r[i]
            x = ((x >> s) | (x << (16 - s))) & _MASK16
            x -= k[j] + (r[i - 1] & r[i - 2]) + (~r[i - 1] & r[i - 3])
            r[i] = x & _MASK16
            j -= 1

    def unmash() -> None:
        for i in (3, 2, 1, 0):
            r[i] = (r[i] - k[r[i - 1] & 63]) & _MASK16

    # Encryption is 5 mixing rounds, a mash, 6 mixing rounds, a mash, 5 mixing rounds.
    for _ in range(5):
        unmix()
    unmash()
    for _ in range(6):
        unmix()
    unmash()
    for _ in range(5):
        unmix()
    return b"".join(x.to_bytes(2, "little") for x in r)


def rc2_cbc_decrypt(key: bytes, effective_bits: int, iv: bytes, data: bytes) -> bytes:
    """RC2-CBC decryption (padding left on)."""
    if len(iv) != 8 or len(data) % 8:
        raise GostKeyError("RC2-CBC needs an 8-byte IV and whole 8-byte blocks")
    round_keys = _rc2_expand(key, effective_bits)
    out = bytearray()
    previous = iv
    for start in range(0, len(data), 8):
        block = data[start:start + 8]
        plain = _rc2_decrypt_block(round_keys, block)
        out += bytes(a ^ b for a, b in zip(plain, previous, strict=True))
        previous = block
    return bytes(out)


def _tripledes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(TripleDES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def _unpad(data: bytes) -> bytes:
    """Remove PKCS#5 padding; a bad pad means a wrong key (or password)."""
    pad = data[-1] if data else 0
    if not 1 <= pad <= 8 or data[-pad:] != bytes([pad]) * pad:
        raise WrongPassword("bad padding after decryption: wrong password?")
    return data[:-pad]


_PBE_3DES = "1.2.840.113549.1.12.1.3"  # pbeWithSHAAnd3-KeyTripleDES-CBC
_PBE_RC2_40 = "1.2.840.113549.1.12.1.6"  # pbeWithSHAAnd40BitRC2-CBC


def _pbe_decrypt(algorithm: algos.EncryptionAlgorithm, data: bytes, password: bytes) -> bytes:
    oid = algorithm["algorithm"].dotted
    parameters = algorithm["parameters"]
    salt, iterations = parameters["salt"].native, parameters["iterations"].native
    if oid == _PBE_3DES:
        key = pkcs12_kdf(password, salt, iterations, KDF_KEY, 24)
        iv = pkcs12_kdf(password, salt, iterations, KDF_IV, 8)
        return _unpad(_tripledes_cbc_decrypt(key, iv, data))
    if oid == _PBE_RC2_40:
        key = pkcs12_kdf(password, salt, iterations, KDF_KEY, 5)
        iv = pkcs12_kdf(password, salt, iterations, KDF_IV, 8)
        return _unpad(rc2_cbc_decrypt(key, 40, iv, data))
    raise GostKeyError(f"unsupported PKCS#12 encryption {oid}")


# -- curve arithmetic -----------------------------------------------------------------------

def multiply(curve: Curve, k: int, point: tuple[int, int] | None = None) -> tuple[int, int]:
    """k * P (P the generator by default) in affine coordinates, with chalicelib.verify.gost's chain
    arithmetic (not constant-time: development use only).  Raises for the point at infinity."""
    x, y = point if point is not None else (curve.gx, curve.gy)
    k %= curve.q
    if not k:
        raise GostKeyError("k * P is the point at infinity")
    window = 5
    events: list = [None] * (curve.q.bit_length() + 2)
    _add_events(events, k, curve._odd_multiples(x, y, window), window)
    result = curve._chain(events)
    if result is None:
        raise GostKeyError("k * P is the point at infinity")
    return curve._to_affine(*result)


# -- GOST private keys and signatures -------------------------------------------------------

@dataclass(frozen=True)
class _Algorithm:
    curve: Curve
    signature_oid: str
    digest_oid: str
    name: str


_ALGORITHMS = {
    KEY_GOST2015_512: _Algorithm(PARAMSET_512_A, SIGNATURE_GOST2015_512, DIGEST_STREEBOG_512,
                                 "GOST 34.10-2015/512"),
    KEY_GOST2004: _Algorithm(CRYPTOPRO_A, SIGNATURE_GOST2004, DIGEST_GOST34311, "GOST 34.310-2004"),
}

# How each key algorithm's privateKey OCTET STRING holds d (the DER tag inside it, byte order).
PRIVATE_KEY_ENCODING: dict[str, tuple[int, Literal["little", "big"]]] = {
    KEY_GOST2015_512: (0x04, "little"),  # OCTET STRING, 64 bytes little-endian
    KEY_GOST2004: (0x02, "big"),  # INTEGER, its DER value
}


@dataclass(frozen=True, repr=False)
class GostPrivateKey:
    """A GOST private scalar d with its algorithm; repr never shows d."""

    key_oid: str
    d: int

    def __repr__(self) -> str:
        return f"GostPrivateKey({self.algorithm_name})"

    @property
    def _algorithm(self) -> _Algorithm:
        return _ALGORITHMS[self.key_oid]

    @property
    def curve(self) -> Curve:
        return self._algorithm.curve

    @property
    def signature_oid(self) -> str:
        return self._algorithm.signature_oid

    @property
    def digest_oid(self) -> str:
        return self._algorithm.digest_oid

    @property
    def algorithm_name(self) -> str:
        return self._algorithm.name

    def public_point(self) -> tuple[int, int]:
        return multiply(self.curve, self.d)

    def sign(self, message: bytes, *, k: int | None = None) -> bytes:
        """GOST 34.10 signature of message (hashed here with the key's hash): r || s, each
        little-endian, as chalicelib.verify.gost.verify reads it.  k is random unless given."""
        curve = self.curve
        q = curve.q
        e = digest_scalar(gost_digest(self.digest_oid, message), curve)
        while True:
            nonce = k if k is not None else 1 + secrets.randbelow(q - 1)
            r = multiply(curve, nonce)[0] % q
            s = (r * self.d + nonce * e) % q
            if r and s:
                return r.to_bytes(curve.size, "little") + s.to_bytes(curve.size, "little")
            if k is not None:
                raise GostKeyError("this k gives r = 0 or s = 0")


def _inner(raw: bytes) -> tuple[int, bytes]:
    """(tag, content octets) of the one DER element that raw must be."""
    try:
        element = core.load(raw, strict=True)
    except ValueError as error:
        raise GostKeyError(f"unreadable private key: {error}") from None
    return raw[0], element.contents


def _private_key_info(pkcs8_der: bytes) -> tuple[str, int, bytes]:
    """(key OID, tag, content octets) of a PKCS#8 PrivateKeyInfo's inner key element."""
    info = core.Sequence.load(pkcs8_der)
    algorithm = core.Sequence.load(info[1].dump())
    key_oid = core.ObjectIdentifier.load(algorithm[0].dump()).dotted
    tag, contents = _inner(core.OctetString.load(info[2].dump()).native)
    return key_oid, tag, contents


def private_key_candidates(pkcs8_der: bytes) -> tuple[str, dict[str, int]]:
    """(key OID, {description: d}) for every plausible reading of the private key: the inner
    element's content read big- and little-endian.  For proving the encoding in tests."""
    key_oid, tag, contents = _private_key_info(pkcs8_der)
    kind = {0x02: "INTEGER", 0x04: "OCTET STRING"}.get(tag, f"tag 0x{tag:02x}")
    return key_oid, {f"{kind} {order}-endian": int.from_bytes(contents, order)
                     for order in ("big", "little")}


def read_private_key(pkcs8_der: bytes, certificate_der: bytes) -> GostPrivateKey:
    """The GOST private key of a PKCS#8 PrivateKeyInfo, by the NCA's encoding (see the module
    docstring), checked against the certificate: raises KeyMismatch unless d*G equals its public
    key, GostKeyError for another algorithm or encoding."""
    key_oid, tag, contents = _private_key_info(pkcs8_der)
    if key_oid not in PRIVATE_KEY_ENCODING:
        raise GostKeyError(f"not a supported GOST private key: {key_oid}")
    expected_tag, order = PRIVATE_KEY_ENCODING[key_oid]
    if tag != expected_tag:
        raise GostKeyError(f"{key_oid} private key is not encoded as the NCA encodes it")
    key = GostPrivateKey(key_oid, int.from_bytes(contents, order))
    public = parse_spki(Certificate(certificate_der).spki_der)
    if public.key_oid != key_oid:
        raise KeyMismatch(f"certificate key {public.key_oid} is not a {key_oid} key")
    if not 0 < key.d < key.curve.q or key.public_point() != (public.x, public.y):
        raise KeyMismatch("d * G is not the certificate's public key")
    return key


# -- PKCS#12 --------------------------------------------------------------------------------

@dataclass(frozen=True)
class GostKeyFile:
    """What a GOST .p12 holds: the key, its certificate and any other certificates."""

    key: GostPrivateKey
    certificate_der: bytes
    others: tuple[bytes, ...] = field(default=())

    @property
    def certificate(self) -> Certificate:
        return Certificate(self.certificate_der)


def _check_mac(pfx: pkcs12.Pfx, password: bytes) -> None:
    mac_data = pfx["mac_data"]
    if not mac_data.native:
        raise GostKeyError("PFX without a MAC")
    if mac_data["mac"]["digest_algorithm"]["algorithm"].native != "sha1":
        raise GostKeyError("PFX MAC is not HMAC-SHA1")
    key = pkcs12_kdf(password, mac_data["mac_salt"].native, mac_data["iterations"].native, KDF_MAC, 20)
    content = pfx["auth_safe"]["content"].native
    if not hmac.compare_digest(hmac.new(key, content, hashlib.sha1).digest(), mac_data["mac"]["digest"].native):
        raise WrongPassword("the PFX MAC does not verify: wrong password")


def _bags(pfx: pkcs12.Pfx, password: bytes) -> Iterable[pkcs12.SafeBag]:
    if pfx["auth_safe"]["content_type"].native != "data":
        raise GostKeyError("only password-integrity PFX (authSafe of type data) is read")
    for content_info in pkcs12.AuthenticatedSafe.load(pfx["auth_safe"]["content"].native):
        kind = content_info["content_type"].native
        if kind == "data":
            yield from pkcs12.SafeContents.load(content_info["content"].native)
        elif kind == "encrypted_data":
            encrypted = content_info["content"]["encrypted_content_info"]
            plain = _pbe_decrypt(encrypted["content_encryption_algorithm"],
                                 encrypted["encrypted_content"].native, password)
            yield from pkcs12.SafeContents.load(plain)
        else:
            raise GostKeyError(f"unsupported PFX content {kind}")


def _local_key_id(bag: pkcs12.SafeBag) -> bytes | None:
    for attribute in bag["bag_attributes"]:
        if attribute["type"].native == "local_key_id":
            return bytes(attribute["values"][0].native)
    return None


def load_pkcs12(data: bytes, password: str) -> GostKeyFile:
    """Open a GOST .p12: MAC checked, key bag and certificate bags decrypted, the private key
    read by the NCA's encoding and proved against its certificate (d*G == Q)."""
    pfx = pkcs12.Pfx.load(data)
    secret = bmp_password(password)
    _check_mac(pfx, secret)
    keys: list[tuple[bytes, bytes | None]] = []
    certificates: list[tuple[bytes, bytes | None]] = []
    for bag in _bags(pfx, secret):
        kind = bag["bag_id"].native
        if kind == "pkcs8_shrouded_key_bag":
            value = bag["bag_value"]
            plain = _pbe_decrypt(value["encryption_algorithm"], value["encrypted_data"].native, secret)
            keys.append((plain, _local_key_id(bag)))
        elif kind == "cert_bag":
            value = bag["bag_value"]
            if value["cert_id"].native != "x509":
                continue
            certificates.append((bytes(value["cert_value"].parsed.dump()), _local_key_id(bag)))
    if len(keys) != 1 or not certificates:
        raise GostKeyError(f"{len(keys)} keys and {len(certificates)} certificates: "
                           "expected one key with its certificate")
    pkcs8, key_id = keys[0]
    matching = [der for der, cert_id in certificates if key_id is not None and cert_id == key_id]
    if len(matching) != 1:
        matching = [der for der, _ in certificates if not Certificate(der).is_ca]
    if len(matching) != 1:
        raise GostKeyError("cannot tell which certificate belongs to the key")
    certificate = matching[0]
    key = read_private_key(pkcs8, certificate)
    return GostKeyFile(key, certificate, tuple(der for der, _ in certificates if der != certificate))


# -- CMS ------------------------------------------------------------------------------------

def sign_cms_gost(
    content: bytes,
    certificate_der: bytes,
    key: GostPrivateKey,
    *,
    detached: bool = False,
    chain: Iterable[bytes] = (),
    signing_time: datetime | None = None,
) -> bytes:
    """A DER CMS SignedData over content shaped like Kalkan's: digestAlgorithm the key's GOST
    hash (with NULL parameters), signed attributes contentType, signingTime and messageDigest,
    signatureAlgorithm the GOST signature OID, the signature over the signed attributes in
    SET OF form; the signer's certificate and chain (DER) included."""
    digest_algorithm = {"algorithm": key.digest_oid, "parameters": core.Null()}
    when = signing_time or datetime.now(UTC)
    attributes = cms.CMSAttributes([
        cms.CMSAttribute({"type": "content_type", "values": ["data"]}),
        cms.CMSAttribute({"type": "signing_time", "values": [cms.Time({"utc_time": when})]}),
        cms.CMSAttribute({"type": "message_digest", "values": [gost_digest(key.digest_oid, content)]}),
    ])
    signature = key.sign(attributes.dump())
    certificate = asn1_x509.Certificate.load(certificate_der)
    signer_info = cms.SignerInfo({
        "version": "v1",
        "sid": cms.SignerIdentifier({
            "issuer_and_serial_number": {
                "issuer": certificate.issuer,
                "serial_number": certificate.serial_number,
            }
        }),
        "digest_algorithm": digest_algorithm,
        "signed_attrs": attributes,
        "signature_algorithm": {"algorithm": key.signature_oid, "parameters": core.Null()},
        "signature": signature,
    })
    certificates = [cms.CertificateChoices(name="certificate", value=asn1_x509.Certificate.load(der))
                    for der in (certificate_der, *chain)]
    signed_data = cms.SignedData({
        "version": "v1",
        "digest_algorithms": [digest_algorithm],
        "encap_content_info": {"content_type": "data", "content": None if detached else content},
        "certificates": certificates,
        "signer_infos": [signer_info],
    })
    return cms.ContentInfo({"content_type": "signed_data", "content": signed_data}).dump()


# -- development GOST citizens ----------------------------------------------------------------

# The NCA's parameter set of its GOST 34.10-2015/512 keys (id-tc26-gost-3410-12-512-paramSetA).
PARAMS_GOST2015_512_A = "1.2.398.3.10.1.1.2.2.1"


def generate_key(key_oid: str = KEY_GOST2015_512) -> GostPrivateKey:
    """A fresh GOST private key (development only)."""
    return GostPrivateKey(key_oid, 1 + secrets.randbelow(_ALGORITHMS[key_oid].curve.q - 1))


def public_key_info(key: GostPrivateKey) -> bytes:
    """The key's SubjectPublicKeyInfo as the NCA writes a GOST 34.10-2015/512 one: the algorithm
    with its parameter set, and an OCTET STRING of X || Y (little-endian) inside the BIT STRING."""
    if key.key_oid != KEY_GOST2015_512:
        raise GostKeyError("development certificates are made for GOST 34.10-2015/512 keys only")
    x, y = key.public_point()
    size = key.curve.size
    point = core.OctetString(x.to_bytes(size, "little") + y.to_bytes(size, "little")).dump()
    oid = core.ObjectIdentifier  # asn1crypto knows no GOST key algorithm: the DER is put together here
    algorithm = der_element(0x30, oid(key.key_oid).dump() + der_element(0x30, oid(PARAMS_GOST2015_512_A).dump()))
    return der_element(0x30, algorithm + der_element(0x03, b"\x00" + point))


@dataclass(frozen=True)
class GostPerson:
    """A development citizen with a GOST key: the certificate (DER) and the private key."""

    certificate_der: bytes
    key: GostPrivateKey

    def sign_cms(self, content: bytes, chain: Iterable[bytes] = ()) -> bytes:
        return sign_cms_gost(content, self.certificate_der, self.key, chain=chain)


def issue_gost_person(issuer: Issued, iin: str, **options: Any) -> GostPerson:
    """A citizen's certificate with the NCA profile (`devpki.issue_person`'s, same options) for a
    fresh GOST 34.10-2015/512 key, issued by `issuer` (the development CA, an RSA or ECDSA key:
    the NCA's GOST citizens are issued by its GOST CA, which the development PKI does not have).

    `cryptography` cannot put a GOST key into a certificate, so the profile is made with a
    throw-away key and its SubjectPublicKeyInfo (and key identifier) replaced, then signed again."""
    key = generate_key()
    template = devpki.issue_person(issuer, iin, **options)
    certificate = asn1_x509.Certificate.load(template.der)
    tbs = certificate["tbs_certificate"]
    spki = public_key_info(key)
    tbs["subject_public_key_info"] = asn1_keys.PublicKeyInfo.load(spki)
    subject_public_key = spki[-(2 * key.curve.size + 3):]  # the BIT STRING's value: the OCTET STRING
    for extension in tbs["extensions"]:
        if extension["extn_id"].native == "key_identifier":  # RFC 5280's method 1: SHA-1 of the key bits
            extension["extn_value"] = core.OctetString(hashlib.sha1(subject_public_key).digest())  # noqa: S324
    tbs_der = tbs.dump()
    issuer_key = issuer.key
    if isinstance(issuer_key, rsa.RSAPrivateKey):
        signature = issuer_key.sign(tbs_der, padding.PKCS1v15(), hashes.SHA256())
    else:
        signature = issuer_key.sign(tbs_der, ec.ECDSA(hashes.SHA256()))
    signed = asn1_x509.Certificate({
        "tbs_certificate": asn1_x509.TbsCertificate.load(tbs_der),
        "signature_algorithm": certificate["signature_algorithm"],
        "signature_value": signature,
    })
    return GostPerson(signed.dump(), key)


@dataclass(frozen=True)
class GostCa:
    """A development CA with a GOST 34.10-2015/512 key (self-signed): it signs CRLs the way the
    NCA's GOST CAs do, for tests and benchmarks of GOST-signed CRLs."""

    certificate_der: bytes
    key: GostPrivateKey

    def crl_signer(self) -> CrlSigner:
        certificate = Certificate(self.certificate_der)
        return CrlSigner(certificate.subject_der, certificate.key_identifier, self.key.signature_oid, self.key.sign,
                         True)


def issue_gost_ca(common_name: str, **options: Any) -> GostCa:
    """A self-signed GOST 34.10-2015/512 CA (`devpki.issue_ca`'s profile and options, keyUsage with
    keyCertSign and cRLSign), made like `issue_gost_person`: the profile with a throw-away key, its
    key replaced, signed again with the GOST key."""
    key = generate_key()
    template = devpki.issue_ca(common_name, **options)
    tbs = asn1_x509.Certificate.load(template.der)["tbs_certificate"]
    spki = public_key_info(key)
    tbs["subject_public_key_info"] = asn1_keys.PublicKeyInfo.load(spki)
    for extension in tbs["extensions"]:
        if extension["extn_id"].native == "key_identifier":  # RFC 5280's method 1: SHA-1 of the key bits
            extension["extn_value"] = core.OctetString(hashlib.sha1(spki[-(2 * key.curve.size + 3):]).digest())  # noqa: S324
    algorithm = der_element(0x30, core.ObjectIdentifier(key.signature_oid).dump() + b"\x05\x00")
    # The tbsCertificate's own signature field (after version and serial) names GOST too.
    parts = _children(tbs.dump())
    parts[2] = algorithm
    tbs_der = der_element(0x30, b"".join(parts))
    signed = der_element(0x30, tbs_der + algorithm + der_element(0x03, b"\x00" + key.sign(tbs_der)))
    return GostCa(signed, key)


def _children(element: bytes) -> list[bytes]:
    """The encoded children of one DER SEQUENCE."""
    from chalicelib.verify import der

    _, start, stop = der.element(element, 0, len(element))
    found = []
    for _, content_start, content_stop in der.children(element, start, stop):
        found.append(element[der.element_start(content_start, content_stop):content_stop])
    return found
