"""Shared fixtures: a PKI made by the tests, the real NCA test files, DynamoDB under moto, and the
Chalice app with its runtime wired to them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from chalicelib import devpki
from chalicelib.certificate import Certificate
from chalicelib.revocation import RevocationStore
from chalicelib.signature import SignatureVerifier
from chalicelib.trust import TrustStore

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # the fixed "now" of tests that move no clock


def nca_pki_dir() -> Path:
    return Path(os.environ.get("VOTING_TEST_PKI_DIR", ROOT.parent / "shared" / "nca-test-pki")).resolve()


@pytest.fixture(scope="session")
def nca() -> Path:
    """The real NCA RK test files (../shared/nca-test-pki or $VOTING_TEST_PKI_DIR)."""
    folder = nca_pki_dir()
    if not (folder / "README.md").is_file():
        pytest.skip(f"NCA test PKI not found at {folder}: set VOTING_TEST_PKI_DIR to the nca-test-pki folder")
    return folder


@dataclass
class TestPki:
    """Root → intermediate → citizens, all valid around NOW."""

    root: devpki.Issued
    intermediate: devpki.Issued
    voters: dict[str, devpki.Issued] = field(default_factory=dict)

    def voter(self, iin: str, **options: object) -> devpki.Issued:
        key = (iin, tuple(sorted(options.items())))
        if key not in self.voters:
            options.setdefault("not_before", NOW - timedelta(days=30))
            self.voters[key] = devpki.issue_person(self.intermediate, iin, **options)
        return self.voters[key]

    def trust(self) -> TrustStore:
        return TrustStore([Certificate(self.root.der)])

    def verifier(self, revocation: RevocationStore | None = None) -> SignatureVerifier:
        return SignatureVerifier(self.trust(), revocation)

    def sign(self, content: bytes, voter: devpki.Issued, **options: object) -> bytes:
        options.setdefault("chain", (self.intermediate,))
        return devpki.sign_cms(content, voter, **options)


@pytest.fixture(scope="session")
def pki() -> TestPki:
    root = devpki.issue_ca("TEST ROOT (RSA)", not_before=NOW - timedelta(days=365), days=3650)
    intermediate = devpki.issue_ca(
        "TEST NCA (RSA)", issuer=root, not_before=NOW - timedelta(days=300), days=1000, path_length=0
    )
    return TestPki(root, intermediate)
