"""The service's configuration: every environment variable (names fixed by DESIGN.md), read and
checked once per process by `Settings.from_environment`. Nothing else reads the environment.

A setting that is missing or wrong raises `ConfigurationError` naming it: the one error type for
configuration, wherever it is found (here, in the trust folder, in the secret).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from chalicelib.voting.keys import MIN_SECRET_BYTES

DEFAULT_NCALAYER_URL = "wss://127.0.0.1:13579"  # the real NCALayer on the citizen's computer
# Only what a WebSocket address to NCALayer needs: no spaces, quotes, ';' or ',' that could break
# out of the Content-Security-Policy header or the page's <meta> attribute.
_NCALAYER_URL = re.compile(r"wss?://[A-Za-z0-9.\-\[\]:]+(?::\d{1,5})?(?:/[A-Za-z0-9._~/\-]*)?")


class ConfigurationError(RuntimeError):
    """A setting is missing or wrong; the text names it and says what is expected."""


@dataclass(frozen=True)
class Settings:
    # Storage
    table_prefix: str = "voting-dev-"
    dynamodb_endpoint: str | None = None  # a local DynamoDB-compatible server; None in AWS
    region: str = "us-east-1"
    # Trust and revocation
    trust_dir: str | None = None
    crl_dir: str | None = None
    crl_tolerance: timedelta = timedelta(hours=24)
    crl_cache_seconds: float = 300.0
    crl_urls: tuple[str, ...] = ()
    crl_bucket: str | None = None
    crl_prefix: str = "crl/"
    # The server secret: given directly (local stack, tests) or named in SSM (AWS)
    secret: str | None = field(default=None, repr=False)
    secret_parameter: str | None = None
    admin_iins: frozenset[str] = field(default_factory=frozenset, repr=False)
    # Sealed evidence: the vote path seals to the commission's public key (PEM); the commission's
    # tools open with its private key, in KMS (AWS) or in a key file (locally)
    evidence_public_key: str | None = None
    evidence_kms_key: str | None = None
    evidence_key_file: str | None = None
    evidence_key_passphrase: str | None = field(default=None, repr=False)
    # Pages
    ncalayer_url: str = DEFAULT_NCALAYER_URL
    # Closing and tallies
    close_grace: timedelta = timedelta(minutes=2)
    tally_workers: int = 8
    contest_cache_seconds: float = 5.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        secret = env.get("VOTING_SECRET") or None
        if secret is not None:
            check_secret(secret)
        admins = frozenset(i.strip() for i in env.get("VOTING_ADMIN_IINS", "").split(",") if i.strip())
        if any(not (len(i) == 12 and i.isascii() and i.isdigit()) for i in admins):
            raise ConfigurationError("VOTING_ADMIN_IINS must be 12-digit IINs separated by commas")
        ncalayer = (env.get("VOTING_NCALAYER_URL") or "").strip() or DEFAULT_NCALAYER_URL
        if not _NCALAYER_URL.fullmatch(ncalayer):
            raise ConfigurationError("VOTING_NCALAYER_URL must be a ws:// or wss:// address, e.g. wss://127.0.0.1:13579")
        kms_key = (env.get("VOTING_EVIDENCE_KMS_KEY") or "").strip() or None
        key_file = (env.get("VOTING_EVIDENCE_KEY_FILE") or "").strip() or None
        if kms_key and key_file:
            raise ConfigurationError("set VOTING_EVIDENCE_KMS_KEY (AWS) or VOTING_EVIDENCE_KEY_FILE (a key file), "
                                     "not both: the commission's key is in one place")
        grace = _number(env, "VOTING_CLOSE_GRACE_SECONDS", 120.0)
        workers = int(_number(env, "VOTING_TALLY_WORKERS", 8))
        if grace <= 0:
            raise ConfigurationError("VOTING_CLOSE_GRACE_SECONDS must be positive")
        if not 1 <= workers <= 64:
            raise ConfigurationError("VOTING_TALLY_WORKERS must be within 1..64")
        return cls(
            table_prefix=env.get("VOTING_TABLE_PREFIX", "voting-dev-"),
            dynamodb_endpoint=env.get("VOTING_DYNAMODB_ENDPOINT") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or "us-east-1",
            trust_dir=env.get("VOTING_TRUST_DIR") or None,
            crl_dir=env.get("VOTING_CRL_DIR") or None,
            crl_tolerance=timedelta(hours=_number(env, "VOTING_CRL_TOLERANCE_HOURS", 24.0)),
            crl_cache_seconds=_number(env, "VOTING_CRL_CACHE_SECONDS", 300.0),
            crl_urls=tuple(u.strip() for u in env.get("VOTING_CRL_URLS", "").split(",") if u.strip()),
            crl_bucket=env.get("VOTING_CRL_BUCKET") or None,
            crl_prefix=env.get("VOTING_CRL_PREFIX", "crl/"),
            secret=secret,
            secret_parameter=env.get("VOTING_SECRET_PARAM") or None,
            admin_iins=admins,
            # A PEM in one line (some deploy tools cannot set newlines) may spell them as a backslash and n.
            evidence_public_key=(env.get("VOTING_EVIDENCE_KEY") or "").replace("\\n", "\n").strip() or None,
            evidence_kms_key=kms_key,
            evidence_key_file=key_file,
            evidence_key_passphrase=env.get("VOTING_EVIDENCE_KEY_PASSPHRASE") or None,
            ncalayer_url=ncalayer,
            close_grace=timedelta(seconds=grace),
            tally_workers=workers,
        )

    def required_trust_dir(self) -> str:
        if not self.trust_dir:
            raise ConfigurationError("VOTING_TRUST_DIR is not set (the folder of trusted CA certificates)")
        return self.trust_dir


def check_secret(secret: str) -> str:
    if len(secret.encode()) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"VOTING_SECRET must be at least {MIN_SECRET_BYTES} bytes")
    return secret


def _number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if text is None or not text.strip():
        return default
    try:
        return float(text)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {text[:40]!r}") from None
