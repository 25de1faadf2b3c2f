"""Trust anchors and CRLs from folders (PEM or DER files), as the local stack, the offline audit
and a deployment's `chalicelib/trust/<stage>` keep them. A folder that cannot be used is a
configuration error: the service must not start with it."""

from __future__ import annotations

import logging
from pathlib import Path

from chalicelib.settings import ConfigurationError
from chalicelib.verify.certificate import Certificate, CertificateError
from chalicelib.verify.trust import TrustStore

CERTIFICATE_SUFFIXES = (".pem", ".cer", ".crt", ".der")
CRL_SUFFIXES = (".crl", ".pem", ".der")

log = logging.getLogger(__name__)


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


def crls_in_folder(folder: str | Path) -> list[tuple[str, bytes]]:
    """(file name, bytes) of every CRL file in the folder, by name."""
    path = Path(folder)
    if not path.is_dir():
        raise ConfigurationError(f"CRL folder {path} does not exist (VOTING_CRL_DIR)")
    return [(file.name, file.read_bytes()) for file in sorted(path.iterdir())
            if file.is_file() and file.suffix.lower() in CRL_SUFFIXES]
