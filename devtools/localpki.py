"""The development PKI on disk (`manage.py dev-pki DIR`): what the dev stage trusts and what the
NCALayer stand-in signs with.

Layout of DIR:
  trust/root.pem, trust/nca.pem   trust anchors for VOTING_TRUST_DIR (the CA issuing the CRL too)
  crl/nca.crl                     CRL listing the revoked demo voter, for VOTING_CRL_DIR (so the
                                  development CA needs no VOTING_CRL_OPTIONAL)
  crl-index/                      its revocation index, written by the local refresher (devtools.stack)
  ca/nca.pem, ca/nca-key.pem      the issuing CA with its key, so voters can be made on demand
  voters/<name>.pem, -key.pem     fixed demo voters: citizen, auth, legal-entity, revoked

Written once; running again keeps what exists, so votes stay verifiable across restarts.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from devtools import devpki, gost_keys

FIXED_VOTERS = {  # name (a profile, its options in PROFILE_OPTIONS): IIN
    "citizen": "900101300001",
    "auth": "900101300002",
    "legal-entity": "900101300003",
    "revoked": "900101300004",
}


@dataclass(frozen=True)
class LocalPki:
    folder: Path
    nca: devpki.Issued

    @property
    def trust_dir(self) -> Path:
        return self.folder / "trust"

    @property
    def crl_dir(self) -> Path:
        return self.folder / "crl"

    def fixed_voter(self, name: str) -> devpki.Issued:
        return _read_issued(self.folder / "voters" / f"{name}.pem", self.folder / "voters" / f"{name}-key.pem")

    def new_voter(self, iin: str, *, expired: bool = False, **options: Any) -> devpki.Issued:
        if expired:
            options.update(_expired_window())
        return devpki.issue_person(self.nca, iin, **options)

    def voter(self, iin: str | None, profile: str = "citizen", key_kind: str = "rsa") -> devpki.Issued:
        """The key a person picks in the stand-ins (NCALayer's key dialog, eGov mobile): a fresh
        citizen unless `iin` says who; `profile` an AUTH key, a legal entity's key, a revoked or an
        expired certificate. Without an IIN, auth, legal-entity and revoked are the fixed demo voters
        (the revoked one is on the CRL)."""
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}: one of {', '.join(PROFILES)}")
        if profile in ("auth", "legal-entity", "revoked") and iin is None:
            return self.fixed_voter(profile)
        return self.new_voter(iin or random_iin(), expired=profile == "expired", key_kind=key_kind,
                              **PROFILE_OPTIONS.get(profile, {}))

    def gost_voter(self, iin: str | None, profile: str = "citizen") -> gost_keys.GostPerson:
        """The same with a GOST 34.10-2015/512 key (issued by the development CA, an RSA one)."""
        if profile not in PROFILES or profile == "revoked":
            raise ValueError(f"no GOST key of profile {profile!r}: one of citizen, auth, legal-entity, expired")
        options = {**PROFILE_OPTIONS.get(profile, {}), **(_expired_window() if profile == "expired" else {})}
        return gost_keys.issue_gost_person(self.nca, iin or random_iin(), **options)


PROFILES = ("citizen", "auth", "legal-entity", "revoked", "expired")
PROFILE_OPTIONS: dict[str, dict[str, Any]] = {"auth": {"usage": "auth"}, "legal-entity": {"role": "legal_entity"}}


def _expired_window() -> dict[str, Any]:
    return {"not_before": datetime.now(UTC) - timedelta(days=800), "days": 365}


def random_iin() -> str:
    """A fresh development citizen's IIN (99…: no real person's)."""
    return "99" + "".join(secrets.choice("0123456789") for _ in range(10))


def write_dev_pki(folder: Path) -> list[str]:
    """Create the development PKI in `folder` unless it is already there."""
    if (folder / "ca" / "nca-key.pem").is_file():
        return [f"development PKI already in {folder} (kept)"]
    start = datetime.now(UTC) - timedelta(days=1)
    root = devpki.issue_ca("DEV ROOT CA (NOT NCA RK)", not_before=start, days=3650)
    nca = devpki.issue_ca("DEV NCA (NOT NCA RK)", issuer=root, not_before=start, days=1825, path_length=0)
    for sub in ("trust", "crl", "ca", "voters"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    (folder / "trust" / "root.pem").write_bytes(root.pem)
    (folder / "trust" / "nca.pem").write_bytes(nca.pem)
    (folder / "ca" / "nca.pem").write_bytes(nca.pem)
    _write_key(folder / "ca" / "nca-key.pem", nca)
    revoked = {}
    for name, iin in FIXED_VOTERS.items():
        voter = devpki.issue_person(nca, iin, not_before=start, days=730, **PROFILE_OPTIONS.get(name, {}))
        (folder / "voters" / f"{name}.pem").write_bytes(voter.pem)
        _write_key(folder / "voters" / f"{name}-key.pem", voter)
        if name == "revoked":
            revoked[voter.certificate.serial_number] = start + timedelta(hours=1)
    crl = devpki.issue_crl(nca, revoked, this_update=start + timedelta(hours=2),
                           next_update=start + timedelta(days=3650))
    (folder / "crl" / "nca.crl").write_bytes(crl)
    return [f"development PKI written to {folder}",
            f"  trust anchors: {folder / 'trust'} (dev stage VOTING_TRUST_DIR)",
            f"  CRL: {folder / 'crl' / 'nca.crl'} (1 revoked demo voter)",
            f"  demo voters: {', '.join(FIXED_VOTERS)}"]


def load_dev_pki(folder: Path) -> LocalPki:
    return LocalPki(folder, _read_issued(folder / "ca" / "nca.pem", folder / "ca" / "nca-key.pem"))


def _write_key(path: Path, issued: devpki.Issued) -> None:
    path.write_bytes(issued.key_pem())
    path.chmod(0o600)


def _read_issued(certificate: Path, key: Path) -> devpki.Issued:
    private = serialization.load_pem_private_key(key.read_bytes(), password=None)
    assert isinstance(private, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)), "the development PKI's own keys"
    return devpki.Issued(x509.load_pem_x509_certificate(certificate.read_bytes()), private)
