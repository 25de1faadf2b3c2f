"""Trust anchors, CRLs and revocation indexes in folders (PEM or DER files), as the local stack, the
offline audit and a deployment's `chalicelib/trust/<stage>` keep them. A folder that cannot be
used is a configuration error: the service must not start with it."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from chalicelib.settings import ConfigurationError
from chalicelib.verify.certificate import Certificate, CertificateError
from chalicelib.verify.revocation import UNCHANGED, Unchanged
from chalicelib.verify.trust import TrustStore

CERTIFICATE_SUFFIXES = (".pem", ".cer", ".crt", ".der")
CRL_SUFFIXES = (".crl", ".pem", ".der")


def trust_from_folder(folder: str | Path) -> TrustStore:
    path = Path(folder)
    if not path.is_dir():
        raise ConfigurationError(f"trust folder {path} does not exist (VOTING_TRUST_DIR)")
    anchors: list[Certificate] = []
    for file in sorted(path.iterdir()):
        if file.suffix.lower() not in CERTIFICATE_SUFFIXES:
            continue
        try:
            anchors.extend(Certificate.from_pem_or_der(file.read_bytes()))
        except CertificateError as error:
            raise ConfigurationError(f"trust folder {path}: {file.name}: {error}") from None
    if not anchors:
        raise ConfigurationError(f"trust folder {path} holds no certificate (VOTING_TRUST_DIR)")
    return TrustStore(anchors)


def crl_files(folder: str | Path) -> list[Path]:
    """Every CRL file in the folder, by name."""
    path = Path(folder)
    if not path.is_dir():
        raise ConfigurationError(f"CRL folder {path} does not exist (VOTING_CRL_DIR)")
    return [file for file in sorted(path.iterdir()) if file.is_file() and file.suffix.lower() in CRL_SUFFIXES]


def crls_in_folder(folder: str | Path) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every CRL file in the folder, by name."""
    return [(file.name, file.read_bytes()) for file in crl_files(folder)]


class IndexFolder:
    """Revocation indexes as files (the local stack's VOTING_CRL_INDEX_DIR): the local refresher's
    store and the API's `fetch`, with the file's inode, modification time and size as its ETag."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def fetch(self, name: str, etag: str | None) -> tuple[bytes, str] | Unchanged | None:
        try:
            with (self.folder / name).open("rb") as file:
                status = os.fstat(file.fileno())
                current = f"{status.st_ino}-{status.st_mtime_ns}-{status.st_size}"  # renamed in whole: a new inode
                return UNCHANGED if current == etag else (file.read(), current)
        except FileNotFoundError:
            return None

    def read_index(self, name: str) -> bytes | None:
        fetched = self.fetch(name, None)
        return None if isinstance(fetched, Unchanged) or fetched is None else fetched[0]

    def write_index(self, name: str, data: bytes, crls: list[tuple[str, bytes]]) -> None:
        """Written whole, then renamed: the API never reads half an index. (The CRLs are the CRL
        folder's own files: nothing to keep.)"""
        self.folder.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=self.folder, prefix=".index-")
        try:
            with os.fdopen(descriptor, "wb") as out:
                out.write(data)
            os.replace(temporary, self.folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
