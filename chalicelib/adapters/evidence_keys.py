"""The commission's key, where it lives: a key file (the local stack, a commission member's
machine) or a KMS asymmetric key (AWS) — both `voting.ports.CommissionKey`, both unwrapping the
data keys that `voting/seal.py` wrapped with RSA-OAEP-SHA-256 — and making a key pair
(`manage.py evidence-key`, `make run`).

Neither is ever built by the vote path: it seals with the public key alone.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from chalicelib.settings import ConfigurationError
from chalicelib.voting.seal import (
    MIN_KEY_BITS,
    CannotUnwrap,
    KeyUnavailable,
    commission_public_key,
    key_id_of,
    oaep,
)

KEY_BITS = 3072  # KMS key spec RSA_3072: the same strength, whichever holds the key
PRIVATE_FILE = "commission-private.pem"
PUBLIC_FILE = "commission-public.pem"
KMS_ALGORITHM = "RSAES_OAEP_SHA_256"
# What KMS answers when this key cannot decrypt these bytes (another key pair, altered bytes).
_NOT_OURS = {"InvalidCiphertextException", "IncorrectKeyException"}


def public_pem(public_key: rsa.RSAPublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class KeyFileCommissionKey:
    """The commission's private key from a PEM file (PKCS#8, encrypted with a passphrase or not)."""

    def __init__(self, private_key: rsa.RSAPrivateKey, source: str = "key file") -> None:
        self._private_key = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)
        self.source = source

    def unwrap(self, wrapped: bytes) -> bytes:
        try:
            return self._private_key.decrypt(wrapped, oaep())
        except ValueError:
            raise CannotUnwrap(f"the data key does not unwrap with the {self.source}") from None


def read_key_file(path: str, passphrase: str | None = None) -> KeyFileCommissionKey:
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ConfigurationError(f"VOTING_EVIDENCE_KEY_FILE: cannot read {path}: {error.strerror}") from None
    secret = passphrase.encode() if passphrase else None
    try:
        key = serialization.load_pem_private_key(data, password=secret)
    except TypeError:
        raise ConfigurationError(f"VOTING_EVIDENCE_KEY_FILE: {path} is protected by a passphrase: give it "
                                 "(manage.py asks, or VOTING_EVIDENCE_KEY_PASSPHRASE)" if secret is None else
                                 f"VOTING_EVIDENCE_KEY_FILE: {path} is not protected by a passphrase") from None
    except ValueError:
        raise ConfigurationError(f"VOTING_EVIDENCE_KEY_FILE: {path} is not a PEM private key, or the passphrase "
                                 "is wrong") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < MIN_KEY_BITS:
        raise ConfigurationError(f"VOTING_EVIDENCE_KEY_FILE: {path} is not an RSA key of at least {MIN_KEY_BITS} bits")
    return KeyFileCommissionKey(key, f"key file {path}")


def key_file_is_encrypted(path: str) -> bool:
    """Whether the PEM says it is encrypted (PKCS#8 `ENCRYPTED PRIVATE KEY`), to ask for the passphrase."""
    try:
        return b"ENCRYPTED" in Path(path).read_bytes()[:64]
    except OSError:
        return False


class KmsCommissionKey:
    """An RSA KMS key (ENCRYPT_DECRYPT) whose Decrypt only the commission's audit role may call.
    One GetPublicKey when built (the key id; a clear message for a wrong key), one Decrypt per
    record; the private half never leaves KMS."""

    def __init__(self, key: str, region: str, client: Any = None) -> None:
        if client is None:
            import boto3
            from botocore.config import Config

            client = boto3.client("kms", region_name=region,
                                  config=Config(retries={"mode": "standard", "max_attempts": 8},
                                                max_pool_connections=32))
        self._client, self.key = client, key
        answer = self._call("GetPublicKey", KeyId=key)
        if answer.get("KeyUsage") != "ENCRYPT_DECRYPT" or KMS_ALGORITHM not in answer.get("EncryptionAlgorithms", []):
            raise ConfigurationError(f"VOTING_EVIDENCE_KMS_KEY: {key} is not an RSA encryption key with "
                                     f"{KMS_ALGORITHM}")
        try:
            self.public_key = commission_public_key(serialization.load_der_public_key(answer["PublicKey"]))
        except ValueError as error:
            raise ConfigurationError(f"VOTING_EVIDENCE_KMS_KEY: {key}: {error}") from None
        self.key_id = key_id_of(self.public_key)

    def unwrap(self, wrapped: bytes) -> bytes:
        plaintext: bytes = self._call("Decrypt", KeyId=self.key, CiphertextBlob=wrapped,
                                      EncryptionAlgorithm=KMS_ALGORITHM)["Plaintext"]
        return plaintext

    def _call(self, operation: str, **arguments: Any) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        method = {"GetPublicKey": self._client.get_public_key, "Decrypt": self._client.decrypt}[operation]
        try:
            answer: dict[str, Any] = method(**arguments)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if operation == "Decrypt" and code in _NOT_OURS:
                raise CannotUnwrap(f"KMS key {self.key} does not unwrap the data key ({code})") from None
            raise KeyUnavailable(f"KMS {operation} on {self.key} refused: {code}. Run as the commission's audit role "
                                 "(only it may use this key)") from None
        except BotoCoreError as error:
            raise KeyUnavailable(f"KMS {operation} on {self.key} failed: {error}") from None
        return answer


def write_key_pair(folder: Path, passphrase: str | None) -> KeyFileCommissionKey:
    """A new RSA-3072 commission key pair in `folder`: the private key (mode 0600, encrypted with
    the passphrase when one is given) and the public key to configure. Never overwrites a key:
    a lost private key is lost evidence."""
    private_path, public_path = folder / PRIVATE_FILE, folder / PUBLIC_FILE
    if private_path.exists():
        raise FileExistsError(f"{private_path} already exists: a commission key is never overwritten")
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    protection: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase.encode()) if passphrase else serialization.NoEncryption())
    folder.mkdir(parents=True, exist_ok=True)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, protection)
    descriptor = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(private_pem)
    public_path.write_text(public_pem(key.public_key()), encoding="ascii")
    return KeyFileCommissionKey(key, f"key file {private_path}")


def local_key_pair(folder: Path) -> tuple[Path, str]:
    """The local stack's commission key (made on first start, kept after): its private key file
    and public PEM. Development only, so without a passphrase."""
    if not (folder / PRIVATE_FILE).exists():
        write_key_pair(folder, None)
    return folder / PRIVATE_FILE, (folder / PUBLIC_FILE).read_text(encoding="ascii")
